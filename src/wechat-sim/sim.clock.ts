const CHINA_OFFSET_MS = 8 * 3_600_000;

/** WeChat counts daily limits per China calendar day (UTC+8, midnight), whatever the server's zone. */
export function chinaDay(epochMs: number): number {
  return Math.floor((epochMs + CHINA_OFFSET_MS) / 86_400_000);
}

/** `YYYY-MM` of the China calendar month, for monthly limits such as clear_quota. */
export function chinaMonth(epochMs: number): string {
  return new Date(epochMs + CHINA_OFFSET_MS).toISOString().slice(0, 7);
}
