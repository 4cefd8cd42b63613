/** China Standard Time, UTC+8, no daylight saving: WeChat's calendar for quotas and zoneless times. */
const CHINA_OFFSET_MS = 8 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** The China calendar day of an instant, as `YYYY-MM-DD`: the unit WeChat counts quotas in. */
export function chinaDay(at: Date = new Date()): string {
  return new Date(at.getTime() + CHINA_OFFSET_MS).toISOString().slice(0, 10);
}

/** Milliseconds from `at` to the next China midnight. */
export function msUntilChinaMidnight(at: Date = new Date()): number {
  const chinaMs = at.getTime() + CHINA_OFFSET_MS;
  return DAY_MS - (chinaMs % DAY_MS);
}

export function fromUnixSeconds(seconds: number): Date {
  return new Date(seconds * 1000);
}

// WeChat marks "no expiry known" with 2106-02-07T14:28:15 (2^32 - 1 seconds in China time).
const SENTINEL_YEAR = 2106;

/**
 * Parses a replay time. Documented as ISO-8601 UTC with `Z`; observed also without a zone, in China
 * time. Returns null for the 2106 "unknown" sentinel, undefined when the text is not a time.
 */
export function parseReplayTime(text: string): Date | null | undefined {
  const match =
    /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.exec(
      text.trim(),
    );
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction, zone] = match;
  if (Number(year) >= SENTINEL_YEAR) return null;
  const base = `${year}-${month}-${day}T${hour}:${minute}:${second}${fraction ?? ''}`;
  const parsed = new Date(zone ? `${base}${normaliseZone(zone)}` : `${base}+08:00`);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed;
}

function normaliseZone(zone: string): string {
  if (zone === 'Z') return zone;
  return zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
}
