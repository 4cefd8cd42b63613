import { describe, expect, it } from 'vitest';

import { backoffDelay, untilNextMinute } from './backoff.js';

const policy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 300 };

describe('backoffDelay', () => {
  it('doubles the ceiling with each attempt, with jitter in its upper half', () => {
    expect(backoffDelay(policy, 1, () => 0)).toBe(50);
    expect(backoffDelay(policy, 1, () => 1)).toBe(100);
    expect(backoffDelay(policy, 2, () => 0)).toBe(100);
    expect(backoffDelay(policy, 2, () => 1)).toBe(200);
  });

  it('never waits longer than the policy maximum', () => {
    expect(backoffDelay(policy, 10, () => 1)).toBe(300);
  });
});

describe('untilNextMinute (the wait after a 45011)', () => {
  it('waits until just after the next minute starts, whatever the second now', () => {
    expect(untilNextMinute(new Date('2026-12-01T08:15:00.000Z'))).toBe(60_250);
    expect(untilNextMinute(new Date('2026-12-01T08:15:42.500Z'))).toBe(17_750);
    expect(untilNextMinute(new Date('2026-12-01T08:15:59.999Z'))).toBe(251);
  });
});
