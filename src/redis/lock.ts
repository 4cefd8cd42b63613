import { randomUUID } from 'node:crypto';

import type { RedisClient } from './client.js';

// Delete / extend only while we still own the lock: another instance may hold it after expiry.
const RELEASE_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const EXTEND_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

export interface HeldLock {
  readonly key: string;
  readonly owner: string;
  /** Pushes the expiry out again; false when the lock was lost (expired and taken). */
  extend(ttlMs?: number): Promise<boolean>;
  release(): Promise<void>;
}

/**
 * A single-Redis mutual-exclusion lock (SET NX PX with an owner token). Expiry means a killed
 * holder never blocks the others for longer than the TTL.
 */
export async function tryAcquireLock(
  redis: RedisClient,
  key: string,
  ttlMs: number,
): Promise<HeldLock | null> {
  const owner = randomUUID();
  const acquired = await redis.set(key, owner, 'PX', ttlMs, 'NX');
  if (acquired !== 'OK') return null;
  return {
    key,
    owner,
    extend: async (nextTtlMs = ttlMs) =>
      (await redis.eval(EXTEND_SCRIPT, 1, key, owner, String(nextTtlMs))) === 1,
    release: async () => {
      await redis.eval(RELEASE_SCRIPT, 1, key, owner);
    },
  };
}

/**
 * Keeps a lock alive while long work runs, so a slow sync is not overtaken by a second one; stops
 * when the work ends. The TTL stays short so a killed process frees the lock quickly.
 */
export function keepLockAlive(lock: HeldLock, ttlMs: number): () => void {
  const timer = setInterval(
    () => {
      lock.extend(ttlMs).catch(() => undefined);
    },
    Math.max(1_000, Math.floor(ttlMs / 3)),
  );
  timer.unref();
  return () => clearInterval(timer);
}
