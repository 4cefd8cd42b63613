import { schedule, type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';

import type { RedisClient } from '../redis/client.js';
import { redisKeys } from '../redis/keys.js';
import { tryAcquireLock, type HeldLock } from '../redis/lock.js';
import type { FreshnessDriver } from './freshness.driver.js';

/** How often the leaseholder plans: the granularity of every read's timing. */
export const FRESHNESS_TICK_CRON = '*/5 * * * * *';
/** A lease outlives a few missed ticks, and a killed holder frees it within this. */
export const FRESHNESS_LEASE_MS = 30_000;

export interface FreshnessJobOptions {
  appId: string;
  driver: FreshnessDriver;
  redis: RedisClient;
  logger: Logger;
  cron?: string;
  leaseMs?: number;
}

export interface FreshnessJob {
  /** True while this instance holds the app's lease (the one that plans and reads). */
  isLeader(): boolean;
  /** Stops ticking, waits for a running tick, and frees the lease for another instance. */
  stop(): Promise<void>;
}

/**
 * Every instance runs this; only the one holding the app's lease ticks the planner, so one
 * planner runs per app however many instances there are. The lease is renewed at every tick and
 * expires on its own when its holder dies, so another instance takes over within `leaseMs`.
 * node-cron gives the tick (noOverlap: a slow tick is never run twice at once).
 */
export function scheduleFreshnessJob(options: FreshnessJobOptions): FreshnessJob {
  const { appId, driver, redis, logger } = options;
  const leaseMs = options.leaseMs ?? FRESHNESS_LEASE_MS;
  const key = redisKeys.freshnessLease(appId);
  let lease: HeldLock | null = null;
  let running: Promise<unknown> = Promise.resolve();

  async function holdLease(): Promise<boolean> {
    try {
      if (lease && (await lease.extend(leaseMs))) return true;
      if (lease) logger.warn('freshness lease lost; another instance plans now');
      lease = await tryAcquireLock(redis, key, leaseMs);
      if (lease) logger.info('freshness lease taken: this instance plans the reads');
      return lease !== null;
    } catch (error) {
      // Without Redis nobody can know who leads, and every read needs Redis anyway.
      logger.debug({ err: (error as Error).message }, 'freshness lease not checked: Redis');
      lease = null;
      return false;
    }
  }

  const task: ScheduledTask = schedule(
    options.cron ?? FRESHNESS_TICK_CRON,
    async () => {
      const tick = (async () => {
        if (await holdLease()) await driver.tick();
      })();
      running = tick;
      await tick;
    },
    { name: `freshness-${appId}`, noOverlap: true },
  );

  return {
    isLeader: () => lease !== null,
    async stop() {
      await task.stop();
      await running.catch(() => undefined);
      await lease?.release().catch(() => undefined);
      lease = null;
    },
  };
}
