import type { Logger } from 'pino';

import type { Database } from '../db/client.js';
import { SyncOutcome, type RoomRow, type SyncRunRow, type SyncTrigger } from '../db/schema.js';
import { AppError, classifyError } from '../errors.js';
import type { QuotaService } from '../quota/quota.service.js';
import type { RedisClient } from '../redis/client.js';
import { redisKeys } from '../redis/keys.js';
import { keepLockAlive, tryAcquireLock, type HeldLock } from '../redis/lock.js';
import {
  archiveRooms,
  findVisibleRoom,
  loadStoredRoomStates,
  storeReplayChecks,
  upsertRoomContents,
  type ReplayCheck,
} from '../rooms/room.repository.js';
import { newCallMeter, type CallMeter, type WechatLiveClient } from '../wechat/wechat.client.js';
import { createReplayCollector, type ReplayCollector } from './replay.collector.js';
import { readFullRoomList, type FullRoomList } from './room-list.reader.js';
import {
  failInterruptedRuns,
  finishSyncRun,
  listSyncRuns,
  startSyncRun,
  zeroSyncCounts,
  type SyncCounts,
} from './sync-run.repository.js';
import { planSync, type SyncPlan } from './sync.planner.js';

export interface SyncSettings {
  replayRetryMinutes: number;
  replayGiveUpDays: number;
  lockTtlSeconds: number;
  listConcurrency: number;
  replayConcurrency: number;
}

export interface SyncServiceOptions {
  appId: string;
  db: Database;
  redis: RedisClient;
  wechat: WechatLiveClient;
  quota: QuotaService;
  logger: Logger;
  settings: SyncSettings;
  /** Told of every finished run (metrics). */
  onRunFinished?: (run: {
    trigger: SyncTrigger;
    outcome: Exclude<SyncOutcome, 'running'>;
    seconds: number;
  }) => void;
  /** Runs after data changed (a sync or a replay fetch), e.g. to drop cached reads. */
  onDataChanged?: () => Promise<void>;
  now?: () => Date;
}

export interface SyncReport extends SyncCounts {
  runId: number;
  apiCalls: number;
  durationMs: number;
  /** Ended rooms whose replays wait for a later sync because the day's quota ran short. */
  replaysDeferred: number;
}

/** Where a running sync stands, for progress bars and logs. */
export interface SyncProgress {
  phase: 'list' | 'replays' | 'apply';
  pagesRead: number;
  /** Pages the current list pass expects, known once the first page told the total. */
  pagesExpected: number;
  roomsSeen: number;
  replaysChecked: number;
  replaysToCheck: number;
  roomsToWrite: number;
}

export interface SyncRunOptions {
  onProgress?: (progress: SyncProgress) => void;
}

export interface SyncService {
  /** Mirrors every WeChat room into MySQL. Throws AppError SYNC_IN_PROGRESS when one is running. */
  syncRooms(trigger: SyncTrigger, options?: SyncRunOptions): Promise<SyncReport>;
  /** Resolves when the sync this process is running (if any) has finished, for graceful shutdown. */
  whenIdle(): Promise<void>;
  /** Fetches one room's replays now and stores them. */
  syncReplay(roomId: number): Promise<RoomRow>;
  /** The latest recorded runs of this app, newest first. */
  listRuns(limit: number): Promise<SyncRunRow[]>;
}

/** The service's options with its defaults filled in and its helpers built. */
interface SyncDeps extends SyncServiceOptions {
  now: () => Date;
  lockTtlMs: number;
  replays: ReplayCollector;
}

/** One sync in flight: what it counts, how it checks its lock, whom it tells, where it logs. */
interface RunContext {
  meter: CallMeter;
  lockStillHeld: () => Promise<boolean>;
  progress: ProgressTracker;
  log: Logger;
}

/** A run with its row in sync_runs, as the success or failure record needs it. */
interface RecordedRun {
  runId: number;
  trigger: SyncTrigger;
  /** Date.now() when the run began, for its duration. */
  started: number;
  meter: CallMeter;
  log: Logger;
}

interface RunResult {
  counts: Omit<SyncCounts, keyof CallMeter>;
  replaysDeferred: number;
}

interface ProgressTracker {
  readonly state: Readonly<SyncProgress>;
  update(change: Partial<SyncProgress>): void;
}

/** Where a sync stands before it has read anything. */
export function initialSyncProgress(): SyncProgress {
  return {
    phase: 'list',
    pagesRead: 0,
    pagesExpected: 1,
    roomsSeen: 0,
    replaysChecked: 0,
    replaysToCheck: 0,
    roomsToWrite: 0,
  };
}

/** Keeps where the run stands and hands every listener a copy, so none can alter it. */
function trackProgress(
  onProgress: ((progress: SyncProgress) => void) | undefined,
): ProgressTracker {
  const state = initialSyncProgress();
  return {
    state,
    update(change) {
      Object.assign(state, change);
      onProgress?.({ ...state });
    },
  };
}

/** The whole room list from a complete pass; refuses to go on with a list that kept moving. */
async function readRoomList(deps: SyncDeps, run: RunContext): Promise<FullRoomList> {
  const { wechat, settings } = deps;
  const list = await readFullRoomList(
    (start, limit) => wechat.listRooms({ start, limit }, run.meter),
    {
      concurrency: settings.listConcurrency,
      onPage: (page) => {
        run.log.debug(page, 'sync list page');
        run.progress.update(page);
      },
    },
  );
  if (!list.complete) {
    throw new AppError(
      'LIST_INCOMPLETE',
      `WeChat's room list kept changing during ${list.passes} reads (${list.rooms.size} rooms seen, total ${list.total}); nothing was applied`,
    );
  }
  return list;
}

/** Writes the plan and the replays found, all or nothing; returns how long it took (ms). */
async function applyPlan(
  deps: SyncDeps,
  run: RunContext,
  plan: SyncPlan,
  checks: readonly ReplayCheck[],
): Promise<number> {
  const { db, appId } = deps;
  // Everything was fetched first; now one transaction applies it, so a failure leaves no half.
  // A sync that lost its lock (stalled past its expiry) may have been overtaken: apply nothing.
  if (!(await run.lockStillHeld())) {
    throw new AppError(
      'SYNC_LOCK_LOST',
      'The sync lost its lock before applying; nothing was applied',
    );
  }
  run.progress.update({ phase: 'apply' });
  const appliedAt = deps.now();
  const applyStarted = performance.now();
  await db.transaction(async (tx) => {
    await upsertRoomContents(tx, plan.toWrite, appliedAt);
    await archiveRooms(tx, appId, plan.toArchive, appliedAt);
    await storeReplayChecks(tx, appId, checks, appliedAt);
  });
  return Math.round(performance.now() - applyStarted);
}

/** Reads the list, plans, asks for replays, applies: WeChat first, MySQL last. */
async function runSync(deps: SyncDeps, run: RunContext): Promise<RunResult> {
  await deps.wechat.refreshQuotaLimit(run.meter);
  const listStarted = performance.now();
  const list = await readRoomList(deps, run);
  const listMs = Math.round(performance.now() - listStarted);

  const at = deps.now();
  const stored = await loadStoredRoomStates(deps.db, deps.appId);
  const plan = planSync({
    appId: deps.appId,
    listed: list.rooms,
    stored,
    at,
    replayPolicy: deps.settings,
  });

  const replaysStarted = performance.now();
  run.progress.update({
    phase: 'replays',
    replaysToCheck: plan.replayCandidates.length,
    roomsToWrite: plan.toWrite.length,
  });
  const { checks, deferred } = await deps.replays.collectReplays(
    plan.replayCandidates,
    run.meter,
    () => run.progress.update({ replaysChecked: run.progress.state.replaysChecked + 1 }),
  );
  const replaysMs = Math.round(performance.now() - replaysStarted);

  const applyMs = await applyPlan(deps, run, plan, checks);
  run.log.debug(
    {
      pages: run.meter.listCalls,
      passes: list.passes,
      listMs,
      replaysMs,
      applyMs,
      written: plan.toWrite.length,
    },
    'sync applied',
  );
  const replaysFetched = checks.reduce((sum, check) => sum + check.replays.length, 0);
  return { counts: { ...plan.counts, replaysFetched }, replaysDeferred: deferred };
}

async function recordSuccess(
  deps: SyncDeps,
  run: RecordedRun,
  result: RunResult,
): Promise<SyncReport> {
  const { meter } = run;
  const counts: SyncCounts = { ...result.counts, ...meter };
  await finishSyncRun(deps.db, run.runId, deps.now(), counts);
  // A sync that wrote nothing leaves every cached answer true: keep the caches warm.
  const changed =
    counts.roomsAdded + counts.roomsUpdated + counts.roomsArchived + counts.roomsRestored > 0 ||
    counts.replaysFetched > 0;
  if (changed && deps.onDataChanged) await deps.onDataChanged();
  const report: SyncReport = {
    ...counts,
    runId: run.runId,
    apiCalls: meter.listCalls + meter.replayCalls + meter.tokenCalls,
    durationMs: Date.now() - run.started,
    replaysDeferred: result.replaysDeferred,
  };
  run.log.info({ report }, 'sync finished');
  deps.onRunFinished?.({
    trigger: run.trigger,
    outcome: SyncOutcome.SUCCEEDED,
    seconds: report.durationMs / 1000,
  });
  return report;
}

/** Logs the failure and records it with the calls spent; nothing was applied, so no room counts. */
async function recordFailure(deps: SyncDeps, run: RecordedRun, error: unknown): Promise<void> {
  const failure = classifyError(error);
  const counts: SyncCounts = { ...zeroSyncCounts(), ...run.meter };
  run.log.error(
    { code: failure.code, errcode: failure.errcode, err: failure.message },
    'sync failed; nothing was applied',
  );
  deps.onRunFinished?.({
    trigger: run.trigger,
    outcome: SyncOutcome.FAILED,
    seconds: (Date.now() - run.started) / 1000,
  });
  await finishSyncRun(deps.db, run.runId, deps.now(), counts, {
    code: failure.code,
    message: failure.safeToShow ? failure.message : 'Internal error',
    errcode: failure.errcode,
  }).catch((recordError: unknown) => {
    run.log.error({ err: (recordError as Error).message }, 'could not record the failed sync run');
  });
}

/** One sync under a held lock, recorded in sync_runs whether it succeeds or fails. */
async function recordedSync(
  deps: SyncDeps,
  trigger: SyncTrigger,
  lock: HeldLock,
  runOptions: SyncRunOptions,
): Promise<SyncReport> {
  const started = Date.now();
  const meter = newCallMeter();
  await failInterruptedRuns(deps.db, deps.appId, deps.now());
  const runId = await startSyncRun(deps.db, deps.appId, trigger, deps.now());
  const log = deps.logger.child({ syncRunId: runId, trigger });
  log.info('sync started');
  const recorded: RecordedRun = { runId, trigger, started, meter, log };
  try {
    const result = await runSync(deps, {
      meter,
      lockStillHeld: () => lock.extend(),
      progress: trackProgress(runOptions.onProgress),
      log,
    });
    return await recordSuccess(deps, recorded, result);
  } catch (error) {
    await recordFailure(deps, recorded, error);
    throw error;
  }
}

async function syncOnce(
  deps: SyncDeps,
  trigger: SyncTrigger,
  runOptions: SyncRunOptions,
): Promise<SyncReport> {
  const lock = await tryAcquireLock(deps.redis, redisKeys.syncLock(deps.appId), deps.lockTtlMs);
  if (!lock) {
    throw new AppError(
      'SYNC_IN_PROGRESS',
      'A sync is already running; try again when it has finished',
    );
  }
  const stopKeepAlive = keepLockAlive(lock, deps.lockTtlMs);
  try {
    return await recordedSync(deps, trigger, lock, runOptions);
  } finally {
    stopKeepAlive();
    await lock.release().catch(() => undefined);
  }
}

export function createSyncService(options: SyncServiceOptions): SyncService {
  const deps: SyncDeps = {
    ...options,
    now: options.now ?? (() => new Date()),
    lockTtlMs: options.settings.lockTtlSeconds * 1000,
    replays: createReplayCollector({
      wechat: options.wechat,
      quota: options.quota,
      logger: options.logger,
      concurrency: options.settings.replayConcurrency,
    }),
  };
  const { db, appId } = deps;
  /** The sync this process is running, if any, for graceful shutdown. */
  let current: Promise<void> | null = null;

  return {
    whenIdle: () => current ?? Promise.resolve(),

    async syncRooms(trigger, runOptions = {}) {
      const run = syncOnce(deps, trigger, runOptions);
      const settled = run.then(
        () => undefined,
        () => undefined,
      );
      current = settled;
      void settled.then(() => {
        if (current === settled) current = null;
      });
      return run;
    },

    async syncReplay(roomId) {
      const room = await findVisibleRoom(db, appId, roomId);
      if (!room) throw new AppError('NOT_FOUND', `Room ${roomId} is not known (or archived)`);
      const replays = await deps.replays.fetchReplays(roomId, newCallMeter());
      // An empty answer never erases stored replays: WeChat drops them after a year, we keep them.
      await storeReplayChecks(db, appId, [{ roomId, replays }], deps.now());
      if (deps.onDataChanged) await deps.onDataChanged();
      const updated = await findVisibleRoom(db, appId, roomId);
      if (!updated) throw new AppError('NOT_FOUND', `Room ${roomId} is not known (or archived)`);
      return updated;
    },

    listRuns: (limit) => listSyncRuns(db, appId, limit),
  };
}
