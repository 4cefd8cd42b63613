import { describe, expect, it } from 'vitest';

import { backoffDelay } from './backoff.js';

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
