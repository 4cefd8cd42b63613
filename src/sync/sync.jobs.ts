import { schedule, type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';

import { AppError, classifyError } from '../errors.js';
import type { RedisClient } from '../redis/client.js';
import { redisKeys } from '../redis/keys.js';
import type { QuotaService } from '../quota/quota.service.js';
import type { SyncService } from './sync.service.js';

export interface SyncJobOptions {
  cron: string;
  sync: SyncService;
  quota: QuotaService;
  logger: Logger;
}

/**
 * The scheduled sync. Every instance schedules it; the sync lock lets one run per tick and the
 * others skip. It does not start on a day whose quota is spent. It never throws: a failed run is
 * recorded in sync_runs and logged, and the next tick tries again.
 */
export async function runScheduledSync(
  options: Omit<SyncJobOptions, 'cron'>,
): Promise<'ran' | 'skipped' | 'failed'> {
  const { sync, quota, logger } = options;
  try {
    const snapshot = await quota.snapshot();
    if (snapshot.exhausted) {
      logger.info(
        { day: snapshot.day, used: snapshot.used },
        'scheduled sync skipped: the quota of the day is spent',
      );
      return 'skipped';
    }
    await sync.syncRooms('cron');
    return 'ran';
  } catch (error) {
    if (error instanceof AppError && error.code === 'SYNC_IN_PROGRESS') {
      logger.debug('scheduled sync skipped: another sync is running');
      return 'skipped';
    }
    const failure = classifyError(error);
    logger.error(
      { code: failure.code, errcode: failure.errcode, err: failure.message },
      'scheduled sync failed',
    );
    return 'failed';
  }
}

/** How long a tick's claim is kept: longer than any instance's timer can be late. */
const TICK_CLAIM_MS = 5 * 60 * 1000;

/**
 * The sync lock only covers a running sync: an instance whose timer fires late (a GC pause, a busy
 * event loop, a clock a little behind) would run the same tick again once the first sync ended.
 * So each scheduled slot is claimed once in Redis (node-cron's run coordinator, keyed by the slot's
 * time, which is the same on every instance). If Redis cannot be asked, node-cron skips the tick.
 */
export function scheduleSyncJob(
  options: SyncJobOptions & { redis: RedisClient; appId: string },
): ScheduledTask {
  const { redis, appId, logger } = options;
  const task = schedule(options.cron, () => runScheduledSync(options), {
    name: 'sync-rooms',
    noOverlap: true,
    distributed: true,
    distributedLease: TICK_CLAIM_MS,
    runCoordinator: {
      shouldRun: async (slot, ttlMs) =>
        (await redis.set(redisKeys.cronSlot(appId, slot), '1', 'PX', ttlMs, 'NX')) === 'OK',
    },
  });
  task.on('execution:skipped', (context) => {
    logger.debug(
      { reason: context.reason },
      context.reason === 'not-elected'
        ? 'scheduled sync skipped: another instance runs this tick'
        : 'scheduled sync skipped: Redis could not be asked who runs this tick',
    );
  });
  return task;
}
