import type { Logger } from 'pino';

import type { Database } from '../db/client.js';
import {
  SyncKind,
  SyncOutcome,
  type RoomRow,
  type SyncRunRow,
  type SyncTrigger,
} from '../db/schema.js';
import { AppError, classifyError } from '../errors.js';
import type { QuotaService } from '../quota/quota.service.js';
import type { RedisClient } from '../redis/client.js';
import { redisKeys } from '../redis/keys.js';
import { keepLockAlive, tryAcquireLock, type HeldLock } from '../redis/lock.js';
import {
  archiveRooms,
  confirmRooms,
  findVisibleRoom,
  loadStoredRoomStates,
  storeReplayChecks,
  upsertRoomContents,
  type ReplayCheck,
} from '../rooms/room.repository.js';
import { newCallMeter, type CallMeter, type WechatLiveClient } from '../wechat/wechat.client.js';
import { saveListPositions } from './list-positions.store.js';
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
import { planSync, type StatusTransition, type SyncPlan } from './sync.planner.js';
import { readTargetedRooms } from './targeted-list.reader.js';

export type { StatusTransition } from './sync.planner.js';

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
  kind: SyncKind;
  apiCalls: number;
  durationMs: number;
  /** Ended rooms whose replays wait for a later sync because the day's quota ran short. */
  replaysDeferred: number;
  /** Status changes of known rooms this run saw (and applied). */
  transitions: StatusTransition[];
}

/** What a targeted refresh read and found, beyond what every run reports. */
export interface RefreshReport extends SyncReport {
  /** Rooms the read found (wanted or not: everything on the rows it read). */
  roomsRead: number;
  /** Wanted rooms not found where they were, nor in the rows around: a full sync finds them. */
  missing: number[];
  /** WeChat's total as this read saw it (null: no row was read). */
  totalSeen: number | null;
  /** The total of the last full read, the positions were taken from (null: none yet). */
  knownTotal: number | null;
  /** Rooms came or went, or some could not be found: run a full sync soon. */
  needsFullSync: boolean;
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
  /**
   * Reads only the rows around the given rooms (positions from the last full sync) and applies
   * every room read: never archives, never touches pins. Throws SYNC_IN_PROGRESS like syncRooms.
   */
  refreshRooms(
    roomIds: readonly number[],
    options: { trigger: SyncTrigger },
  ): Promise<RefreshReport>;
  /** Asks WeChat for the replays of the given ended rooms and stores what it has. */
  refreshReplays(
    roomIds: readonly number[],
    options: { trigger: SyncTrigger },
  ): Promise<SyncReport>;
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
  kind: SyncKind;
  /** Date.now() when the run began, for its duration. */
  started: number;
  meter: CallMeter;
  log: Logger;
}

interface RunResult {
  counts: Omit<SyncCounts, keyof CallMeter>;
  replaysDeferred: number;
  transitions: StatusTransition[];
  /** A targeted refresh's own findings. */
  refresh?: Pick<
    RefreshReport,
    'roomsRead' | 'missing' | 'totalSeen' | 'knownTotal' | 'needsFullSync'
  >;
}

/** What one kind of run does between taking its lock and recording its outcome. */
type RunBody = (run: RunContext) => Promise<RunResult>;

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
  confirmed: readonly number[] = [],
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
    await confirmRooms(tx, appId, confirmed, appliedAt);
    await archiveRooms(tx, appId, plan.toArchive, appliedAt);
    await storeReplayChecks(tx, appId, checks, appliedAt);
  });
  return Math.round(performance.now() - applyStarted);
}

const ENDED_STATUS = 103;

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
  await rememberPositions(deps, run, list);
  const replaysFetched = checks.reduce((sum, check) => sum + check.replays.length, 0);
  return {
    counts: { ...plan.counts, replaysFetched },
    replaysDeferred: deferred,
    transitions: plan.transitions,
  };
}

/**
 * Keeps where each room sat, for targeted refreshes. The data is committed already: without Redis
 * the planner only finds the positions older than the data, and runs a full sync again soon.
 */
async function rememberPositions(deps: SyncDeps, run: RunContext, list: FullRoomList) {
  try {
    await saveListPositions(deps.redis, deps.appId, list, deps.now());
  } catch (error) {
    run.log.warn({ err: (error as Error).message }, 'could not store the list positions');
  }
}

/** Reads the rows around the wanted rooms, plans as a sync does (archiving nothing), applies. */
async function runRefresh(
  deps: SyncDeps,
  run: RunContext,
  roomIds: readonly number[],
): Promise<RunResult> {
  const read = await readTargetedRooms({
    redis: deps.redis,
    appId: deps.appId,
    roomIds,
    fetchPage: (start, limit) => deps.wechat.listRooms({ start, limit }, run.meter),
  });
  const at = deps.now();
  const stored = await loadStoredRoomStates(deps.db, deps.appId, [...read.rooms.keys()]);
  const plan = planSync({
    appId: deps.appId,
    listed: read.rooms,
    stored,
    at,
    replayPolicy: deps.settings,
    archiveUnlisted: false,
  });
  // Replays are not asked here: a room just seen ended has none yet (WeChat makes them minutes
  // later); the planner asks for them with a replays read when they are due.
  const checks: ReplayCheck[] = [];
  const written = new Set(plan.toWrite.map((room) => room.roomId));
  const unchanged = [...read.rooms.keys()].filter((roomId) => !written.has(roomId));
  await applyPlan(deps, run, plan, checks, unchanged);
  await read.rememberPositions().catch((error: unknown) => {
    run.log.warn({ err: (error as Error).message }, 'could not store the rooms read positions');
  });
  return {
    counts: { ...plan.counts, replaysFetched: 0 },
    replaysDeferred: 0,
    transitions: plan.transitions,
    refresh: {
      roomsRead: read.rooms.size,
      missing: read.missing,
      totalSeen: read.totalSeen,
      knownTotal: read.knownTotal,
      needsFullSync: read.needsFullSync,
    },
  };
}

/** Asks for the replays of the given rooms, those stored as ended and visible, and stores them. */
async function runReplays(
  deps: SyncDeps,
  run: RunContext,
  roomIds: readonly number[],
): Promise<RunResult> {
  const stored = await Promise.all(
    roomIds.map((roomId) => findVisibleRoom(deps.db, deps.appId, roomId)),
  );
  const candidates = stored
    .filter((room): room is RoomRow => room !== null && room.liveStatus === ENDED_STATUS)
    .map((room) => ({ roomid: room.roomId, end_time: Math.floor(room.endTime.getTime() / 1000) }));
  const { checks, deferred } = await deps.replays.collectReplays(
    candidates,
    run.meter,
    () => undefined,
  );
  if (!(await run.lockStillHeld())) {
    throw new AppError(
      'SYNC_LOCK_LOST',
      'The sync lost its lock before applying; nothing was applied',
    );
  }
  await storeReplayChecks(deps.db, deps.appId, checks, deps.now());
  const replaysFetched = checks.reduce((sum, check) => sum + check.replays.length, 0);
  return {
    counts: { roomsAdded: 0, roomsUpdated: 0, roomsArchived: 0, roomsRestored: 0, replaysFetched },
    replaysDeferred: deferred,
    transitions: [],
  };
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
    ...result.refresh,
    runId: run.runId,
    kind: run.kind,
    apiCalls: meter.listCalls + meter.replayCalls + meter.tokenCalls,
    durationMs: Date.now() - run.started,
    replaysDeferred: result.replaysDeferred,
    transitions: result.transitions,
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

/** One run under a held lock, recorded in sync_runs whether it succeeds or fails. */
async function recordedSync(
  deps: SyncDeps,
  what: { trigger: SyncTrigger; kind: SyncKind; body: RunBody },
  lock: HeldLock,
  runOptions: SyncRunOptions,
): Promise<SyncReport> {
  const { trigger, kind } = what;
  const started = Date.now();
  const meter = newCallMeter();
  await failInterruptedRuns(deps.db, deps.appId, deps.now());
  const runId = await startSyncRun(deps.db, { appId: deps.appId, trigger, kind }, deps.now());
  const log = deps.logger.child({ syncRunId: runId, trigger, kind });
  log.info('sync started');
  const recorded: RecordedRun = { runId, trigger, kind, started, meter, log };
  try {
    const result = await what.body({
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
  what: { trigger: SyncTrigger; kind: SyncKind; body: RunBody },
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
    return await recordedSync(deps, what, lock, runOptions);
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
  function tracked<T>(run: Promise<T>): Promise<T> {
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    current = settled;
    void settled.then(() => {
      if (current === settled) current = null;
    });
    return run;
  }

  return {
    whenIdle: () => current ?? Promise.resolve(),

    syncRooms: (trigger, runOptions = {}) =>
      tracked(
        syncOnce(
          deps,
          { trigger, kind: SyncKind.FULL, body: (run) => runSync(deps, run) },
          runOptions,
        ),
      ),

    refreshRooms: (roomIds, { trigger }) =>
      tracked(
        syncOnce(
          deps,
          { trigger, kind: SyncKind.TARGETED, body: (run) => runRefresh(deps, run, roomIds) },
          {},
        ) as Promise<RefreshReport>,
      ),

    refreshReplays: (roomIds, { trigger }) =>
      tracked(
        syncOnce(
          deps,
          { trigger, kind: SyncKind.REPLAYS, body: (run) => runReplays(deps, run, roomIds) },
          {},
        ),
      ),

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
