/**
 * Which rows a targeted refresh reads. WeChat's `start` is a row offset, not a page number, so a
 * read may begin anywhere: the windows are placed around the wanted rooms, with a few rows of slack
 * on each side so that a room shifted by a creation or deletion since the last full read is still
 * inside. Pure: the refresh and the planner (to price a read) use the same arithmetic.
 */

export interface ReadWindow {
  /** Row offset of the first row. */
  start: number;
  /** Rows asked for: one page's worth, as WeChat really returns them. */
  limit: number;
}

/** Rows kept free at each end of a window for rooms that moved a little. */
export const WINDOW_SLACK_ROWS = 3;
/** Extra windows a refresh may read to find rooms that moved further, before a full sync is due. */
export const MAX_WIDENING_WINDOWS = 2;

/** As few windows of `pageRows` rows as cover every wanted offset with slack on both sides. */
export function windowsFor(offsets: Iterable<number>, pageRows: number): ReadWindow[] {
  const rows = Math.max(1, pageRows);
  const slack = Math.min(WINDOW_SLACK_ROWS, Math.floor((rows - 1) / 2));
  const sorted = [...new Set(offsets)].sort((a, b) => a - b);
  const windows: ReadWindow[] = [];
  let coveredUntil = -1;
  for (const offset of sorted) {
    if (offset <= coveredUntil) continue;
    const start = Math.max(0, offset - slack);
    windows.push({ start, limit: rows });
    coveredUntil = start + rows - 1 - slack;
  }
  return windows;
}

/**
 * The windows to read next for rooms a first read did not find where they were: the list moved by
 * `totalSeen - knownTotal` rows (creations push rooms down, deletions pull them up), so each missing
 * room is looked for within that distance of its old offset, minus the rows already read. Null when
 * that takes more than MAX_WIDENING_WINDOWS reads: a full sync is cheaper and sure.
 */
export function widenedWindows(options: {
  missingOffsets: readonly number[];
  read: readonly ReadWindow[];
  drift: number;
  pageRows: number;
}): ReadWindow[] | null {
  const { missingOffsets, read, drift, pageRows } = options;
  // Unmoved total but a room not where it was: it moved by an edit, or left. Look a page around.
  const reach = drift === 0 ? Math.floor(pageRows / 2) : Math.abs(drift) + WINDOW_SLACK_ROWS;
  const wanted = new Set<number>();
  for (const offset of missingOffsets) {
    const from = Math.max(0, drift > 0 ? offset : offset - reach);
    const to = drift < 0 ? offset : offset + reach;
    for (let row = from; row <= to; row += 1) {
      if (!read.some((window) => row >= window.start && row < window.start + window.limit))
        wanted.add(row);
    }
  }
  if (wanted.size === 0) return [];
  const windows = windowsFor(wanted, pageRows);
  return windows.length <= MAX_WIDENING_WINDOWS ? windows : null;
}
