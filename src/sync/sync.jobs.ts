import { schedule, type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';

import { AppError, classifyError } from '../errors.js';
import type { QuotaService } from '../wechat/quota.service.js';
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

export function scheduleSyncJob(options: SyncJobOptions): ScheduledTask {
  return schedule(options.cron, () => runScheduledSync(options), {
    name: 'sync-rooms',
    noOverlap: true,
  });
}
