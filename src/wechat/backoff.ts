export interface RetryPolicy {
  /** Total attempts including the first one. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** How long to wait after a 45011 (per-minute limit); default: until the next minute starts. */
  rateLimitWaitMs?: (now: Date) => number;
}

/** WeChat's per-minute limit resets on the minute; a little slack avoids landing a hair early. */
export const untilNextMinute = (now: Date): number => 60_000 - (now.getTime() % 60_000) + 250;

export const defaultRetryPolicy: RetryPolicy = { attempts: 3, baseDelayMs: 250, maxDelayMs: 4_000 };

/**
 * Exponential backoff with "full jitter": instances that failed together do not retry together.
 * `attempt` is the number of attempts already made (1 after the first failure).
 */
export function backoffDelay(policy: RetryPolicy, attempt: number, random = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
