import type { Logger } from 'pino';

import type { Database } from '../db/client.js';
import { SyncTrigger } from '../db/schema.js';
import { AppError, classifyError } from '../errors.js';
import type { QuotaService } from '../quota/quota.service.js';
import type { RedisClient } from '../redis/client.js';
import { readListPositions, type ListPositions } from '../sync/list-positions.store.js';
import type { StatusTransition, SyncService } from '../sync/sync.service.js';
import {
  START_GIVE_UP_MS,
  START_LEAD_MS,
  nextChinaMidnight,
  planReads,
  type FreshnessPlan,
  type TrackedRoom,
} from './freshness.planner.js';
import { loadWatchedRooms } from './freshness.repository.js';
import type { FreshnessStore } from './freshness.store.js';
import type { FreshnessMetrics } from '../observability/metrics.js';
import {
  ReadKind,
  type FreshnessSettings,
  type PlannedRead,
  type SeenTransition,
} from './freshness.types.js';

/** After a read failed, reads pause this long, doubling on each failure in a row, up to the cap. */
const FAILURE_PAUSE_MS = 30_000;
const FAILURE_PAUSE_MAX_MS = 10 * 60_000;

export interface FreshnessDriverOptions {
  appId: string;
  db: Database;
  redis: RedisClient;
  sync: Pick<SyncService, 'syncRooms' | 'refreshRooms' | 'refreshReplays'>;
  quota: Pick<QuotaService, 'snapshot'>;
  /**
   * Reads today's limit and WeChat's own count of calls (other systems' included) into the
   * ledger, once a day: the budget must know them before the first full sync of the day would.
   */
  readQuotaFigures: () => Promise<void>;
  store: FreshnessStore;
  settings: FreshnessSettings & { replayGiveUpDays: number };
  logger: Logger;
  metrics?: FreshnessMetrics;
  now?: () => Date;
}

/** What one tick did: the plan it followed and each read it ran. */
export interface TickOutcome {
  plan: FreshnessPlan;
  reads: Array<{ read: PlannedRead; outcome: 'done' | 'busy' | 'failed'; calls: number }>;
}

export interface FreshnessDriver {
  /** Plans from what is stored now, runs the reads due, records what they saw. Never throws. */
  tick(): Promise<TickOutcome | null>;
}

/** Everything the planner is given, gathered from MySQL, Redis and the quota ledger. */
interface Gathered {
  now: number;
  rooms: TrackedRoom[];
  list: ListPositions | null;
  lastFullSyncAt: number | null;
}

/**
 * Runs the adaptive plan for one app. Only the instance holding the app's freshness lease calls
 * `tick` (see freshness.jobs.ts); everything it plans from is stored, so whichever instance holds
 * the lease next plans the same reads.
 */
export function createFreshnessDriver(options: FreshnessDriverOptions): FreshnessDriver {
  const { store, logger, metrics } = options;
  const now = options.now ?? (() => new Date());
  let failuresInARow = 0;
  let pausedUntil = 0;
  /** Skipped reads of the previous tick: a read skipped tick after tick is counted once. */
  let skippedBefore = new Set<string>();

  async function plan(): Promise<{ plan: FreshnessPlan; gathered: Gathered }> {
    await options.readQuotaFigures();
    const gathered = await gather(options, now());
    const [quota, listDrifted] = await Promise.all([options.quota.snapshot(), store.listDrifted()]);
    const made = planReads({
      now: gathered.now,
      quota,
      rooms: gathered.rooms,
      list: gathered.list,
      lastFullSyncAt: gathered.lastFullSyncAt,
      listDrifted,
      settings: options.settings,
    });
    return { plan: made, gathered };
  }

  async function record(made: FreshnessPlan, lastFullSyncAt: number | null): Promise<void> {
    await store.savePlan({
      appId: options.appId,
      plannedAt: made.now,
      budget: made.budget,
      intervals: made.intervals,
      lastFullSyncAt,
      next: made.next,
      hotRooms: made.hotRooms,
    });
    metrics?.setBudgetLeft(made.budget.left);
  }

  async function countSkipped(made: FreshnessPlan): Promise<void> {
    const keys = new Set(made.skipped.map((read) => `${read.kind}:${read.roomIds.join(',')}`));
    const fresh = made.skipped.filter(
      (read) => !skippedBefore.has(`${read.kind}:${read.roomIds.join(',')}`),
    );
    skippedBefore = keys;
    for (const read of fresh) metrics?.countReads(read.kind, 'skipped', 1);
    await store.countSkipped(fresh.length, new Date(made.now));
  }

  return {
    async tick() {
      try {
        const first = await plan();
        await countSkipped(first.plan);
        const reads: TickOutcome['reads'] = [];
        if (first.plan.due.length > 0 && first.plan.now >= pausedUntil) {
          for (const read of first.plan.due) {
            const done = await runRead(read, first.gathered);
            reads.push(done);
            if (done.outcome !== 'done') break;
          }
        }
        // What admins see is the plan after this tick's reads: the next ones, not those just run.
        const after = reads.length > 0 ? await plan() : first;
        await record(after.plan, after.gathered.lastFullSyncAt);
        return { plan: after.plan, reads };
      } catch (error) {
        const failure = classifyError(error);
        logger.error({ code: failure.code, err: failure.message }, 'freshness tick failed');
        return null;
      }
    },
  };

  async function runRead(
    read: PlannedRead,
    gathered: Gathered,
  ): Promise<TickOutcome['reads'][number]> {
    metrics?.countReads(read.kind, 'planned', 1);
    try {
      const { calls, transitions } = await execute(options, read);
      failuresInARow = 0;
      metrics?.observeRead(read.kind, calls);
      const seen = transitions.map((transition) => seenTransition(transition, read, gathered));
      for (const transition of seen) metrics?.countTransition(transition.from, transition.to);
      await store.addTransitions(seen);
      return { read, outcome: 'done', calls };
    } catch (error) {
      if (error instanceof AppError && error.code === 'SYNC_IN_PROGRESS') {
        // An admin's sync (or the cron of a mixed deployment) is reading: plan again next tick.
        return { read, outcome: 'busy', calls: 0 };
      }
      failuresInARow += 1;
      const pause = Math.min(FAILURE_PAUSE_MAX_MS, FAILURE_PAUSE_MS * 2 ** (failuresInARow - 1));
      pausedUntil = now().getTime() + pause;
      const failure = classifyError(error);
      logger.warn(
        { kind: read.kind, code: failure.code, errcode: failure.errcode, pauseMs: pause },
        'planned read failed; reads pause before the next try',
      );
      return { read, outcome: 'failed', calls: 0 };
    }
  }

  function seenTransition(
    transition: StatusTransition,
    read: PlannedRead,
    gathered: Gathered,
  ): SeenTransition {
    const tracked = gathered.rooms.find((room) => room.roomId === transition.roomId);
    const confirmedAt = tracked?.confirmedAt ?? gathered.lastFullSyncAt;
    const seenAt = now().getTime();
    return {
      roomId: transition.roomId,
      from: transition.from,
      to: transition.to,
      seenAt,
      lagAtMostSeconds: confirmedAt === null ? null : Math.round((seenAt - confirmedAt) / 1000),
      kind: read.kind,
    };
  }
}

/** Runs one planned read through the sync service; answers its calls and the changes it saw. */
async function execute(
  options: FreshnessDriverOptions,
  read: PlannedRead,
): Promise<{ calls: number; transitions: StatusTransition[] }> {
  const { sync, store } = options;
  const trigger = SyncTrigger.PLANNER;
  if (read.kind === ReadKind.FULL) {
    const report = await sync.syncRooms(trigger);
    await store.clearListDrift();
    return { calls: report.listCalls + report.replayCalls, transitions: report.transitions };
  }
  if (read.kind === ReadKind.REPLAYS) {
    const report = await sync.refreshReplays(read.roomIds, { trigger });
    return { calls: report.replayCalls, transitions: [] };
  }
  const report = await sync.refreshRooms(read.roomIds, { trigger });
  // Rooms came or went since the last full read (or a room moved out of reach): a full sync is
  // what finds them; the planner runs one as soon as the minimum interval allows.
  if (report.needsFullSync || (report.totalSeen !== null && report.totalSeen !== report.knownTotal))
    await store.markListDrift();
  return { calls: report.listCalls + report.replayCalls, transitions: report.transitions };
}

/** The planner's input from what is stored: watched rooms, list positions, last full read. */
async function gather(options: FreshnessDriverOptions, at: Date): Promise<Gathered> {
  const now = at.getTime();
  const watched = await loadWatchedRooms(options.db, {
    appId: options.appId,
    // Starts the budget has to cover: today's, and those just after midnight (early starts).
    startsBefore: new Date(nextChinaMidnight(now) + START_LEAD_MS),
    startsAfter: new Date(now - START_GIVE_UP_MS - 60 * 60_000),
    replayGiveUpDays: options.settings.replayGiveUpDays,
    now: at,
  });
  const list = await readListPositions(
    options.redis,
    options.appId,
    watched.map((row) => row.roomId),
  );
  const lastFullSyncAt = list ? list.readAt.getTime() : null;
  const rooms = watched.map((row): TrackedRoom => {
    const position = list?.positions.get(row.roomId) ?? null;
    // A room the last full read listed was confirmed by it; a targeted read may be later.
    const byFullSync = position !== null ? lastFullSyncAt : null;
    const own = row.syncedAt?.getTime() ?? null;
    return {
      roomId: row.roomId,
      liveStatus: row.liveStatus,
      plannedStart: row.startTime.getTime(),
      plannedEnd: row.endTime.getTime(),
      position,
      confirmedAt: own === null ? byFullSync : Math.max(own, byFullSync ?? 0),
      awaitingReplays: row.awaitingReplays,
      replaysCheckedAt: row.replaysCheckedAt?.getTime() ?? null,
      changedAt: row.updatedAt.getTime(),
    };
  });
  return { now, rooms, list, lastFullSyncAt };
}
