import { describe, expect, it } from 'vitest';

import { chinaDay, msUntilChinaMidnight, parseReplayTime } from './wechat-time.js';

describe('parseReplayTime', () => {
  it('reads documented ISO-8601 UTC times with Z', () => {
    expect(parseReplayTime('2020-11-11T03:49:55Z')?.toISOString()).toBe('2020-11-11T03:49:55.000Z');
  });

  it('reads zoneless times as China time (UTC+8), not as UTC or server time', () => {
    expect(parseReplayTime('2020-11-11T11:49:55')?.toISOString()).toBe('2020-11-11T03:49:55.000Z');
  });

  it('accepts a space separator and explicit offsets', () => {
    expect(parseReplayTime('2020-11-11 11:49:55')?.toISOString()).toBe('2020-11-11T03:49:55.000Z');
    expect(parseReplayTime('2020-11-11T11:49:55+0800')?.toISOString()).toBe(
      '2020-11-11T03:49:55.000Z',
    );
  });

  it('maps the 2106 "unknown" sentinel to null in both formats', () => {
    expect(parseReplayTime('2106-02-07T14:28:15')).toBeNull();
    expect(parseReplayTime('2106-02-07T06:28:15Z')).toBeNull();
  });

  it('returns undefined for text that is not a time', () => {
    expect(parseReplayTime('yesterday')).toBeUndefined();
    expect(parseReplayTime('')).toBeUndefined();
  });
});

describe('chinaDay', () => {
  it('switches day at China midnight, which is 16:00 UTC', () => {
    expect(chinaDay(new Date('2026-11-26T15:59:59Z'))).toBe('2026-11-26');
    expect(chinaDay(new Date('2026-11-26T16:00:00Z'))).toBe('2026-11-27');
  });

  it('counts the milliseconds to the next China midnight', () => {
    expect(msUntilChinaMidnight(new Date('2026-11-26T15:00:00Z'))).toBe(60 * 60 * 1000);
    expect(msUntilChinaMidnight(new Date('2026-11-26T16:00:00Z'))).toBe(24 * 60 * 60 * 1000);
  });
});
