import { describe, expect, it } from 'vitest';

import {
  MAX_WIDENING_WINDOWS,
  WINDOW_SLACK_ROWS,
  widenedWindows,
  windowsFor,
} from './targeted-pages.js';

describe('windowsFor', () => {
  it('reads rooms close together in one window, starting a few rows before the first', () => {
    expect(windowsFor([10, 12, 40], 50)).toEqual([{ start: 10 - WINDOW_SLACK_ROWS, limit: 50 }]);
  });

  it('opens another window for a room beyond the first one less its slack', () => {
    expect(windowsFor([0, 49, 120], 50)).toEqual([
      { start: 0, limit: 50 },
      { start: 49 - WINDOW_SLACK_ROWS, limit: 50 },
      { start: 120 - WINDOW_SLACK_ROWS, limit: 50 },
    ]);
  });

  it('reads nothing for no rooms, and never starts before row 0', () => {
    expect(windowsFor([], 50)).toEqual([]);
    expect(windowsFor([1], 50)).toEqual([{ start: 0, limit: 50 }]);
  });
});

describe('widenedWindows', () => {
  const read = [{ start: 97, limit: 50 }];

  it('looks below for a room pushed down by rooms created since the last full read', () => {
    // The room was at 140, inside the first window less its slack; 12 creations moved it to 152.
    expect(widenedWindows({ missingOffsets: [140], read, drift: 12, pageRows: 50 })).toEqual([
      { start: 147 - WINDOW_SLACK_ROWS, limit: 50 },
    ]);
  });

  it('looks above for a room pulled up by deletions', () => {
    // Rows 87-96 are above what was read; the window keeps its slack before the first of them.
    expect(widenedWindows({ missingOffsets: [100], read, drift: -10, pageRows: 50 })).toEqual([
      { start: 87 - WINDOW_SLACK_ROWS, limit: 50 },
    ]);
  });

  it('gives up (a full sync) when the room could be further than a couple of windows', () => {
    expect(widenedWindows({ missingOffsets: [100], read, drift: 400, pageRows: 50 })).toBeNull();
    // 80 rows of drift still fit in two windows.
    expect(widenedWindows({ missingOffsets: [150], read, drift: 80, pageRows: 50 })).toHaveLength(
      MAX_WIDENING_WINDOWS,
    );
  });
});
