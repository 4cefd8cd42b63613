import pLimit from 'p-limit';
import type { Logger } from 'pino';

import type { Database } from '../db/client.js';
import type { RoomRow, StoredReplay, SyncOutcome, SyncTrigger } from '../db/schema.js';
import { AppError, classifyError } from '../errors.js';
import type { RedisClient } from '../redis/client.js';
import { redisKeys } from '../redis/keys.js';
import { keepLockAlive, tryAcquireLock } from '../redis/lock.js';
import {
  ENDED_STATUS_CODE,
  replaysFromWechat,
  roomContentFromWechat,
  type RoomContent,
} from '../rooms/room.mapper.js';
import {
  archiveRooms,
  findVisibleRoom,
  loadStoredRoomStates,
  storeReplayChecks,
  upsertRoomContents,
  type ReplayCheck,
  type StoredRoomState,
} from '../rooms/room.repository.js';
import type { QuotaService } from '../quota/quota.service.js';
import { newCallMeter, type CallMeter, type WechatLiveClient } from '../wechat/wechat.client.js';
import {
  QuotaExhaustedError,
  WechatApiError,
  WechatError,
  QUOTA_EXHAUSTED_ERRCODE,
} from '../wechat/wechat.errors.js';
import type { WechatRoom } from '../wechat/wechat.schemas.js';
import { readFullRoomList } from './room-list.reader.js';
import { settleAll } from './settle-all.js';
import {
  failInterruptedRuns,
  finishSyncRun,
  startSyncRun,
  zeroSyncCounts,
  type SyncCounts,
} from './sync-run.repository.js';

/** Replay pages: ask generously, follow only while a page comes back full (WeChat's count lies). */
const REPLAY_PAGE_LIMIT = 100;
const MAX_REPLAY_PAGES = 10;
const DAY_MS = 24 * 60 * 60 * 1000;

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
}

export function createSyncService(options: SyncServiceOptions): SyncService {
  const { appId, db, redis, wechat, quota, logger, settings } = options;
  const now = options.now ?? (() => new Date());
  const lockTtlMs = settings.lockTtlSeconds * 1000;
  /** The sync this process is running, if any, for graceful shutdown. */
  let current: Promise<void> | null = null;

  /** Every replay segment of one room, following pages while they come back full. */
  async function fetchReplays(roomId: number, meter: CallMeter): Promise<StoredReplay[]> {
    const segments = [];
    for (let page = 0, start = 0; page < MAX_REPLAY_PAGES; page += 1) {
      const answer = await wechat.listReplays(roomId, { start, limit: REPLAY_PAGE_LIMIT }, meter);
      if (answer === 'not-ready') break;
      segments.push(...answer.replays);
      if (answer.replays.length < REPLAY_PAGE_LIMIT) break;
      start += answer.replays.length;
    }
    return replaysFromWechat(segments);
  }

  /** Ended rooms with replay on, none stored, not asked too recently, and not given up on. */
  function needsReplays(room: WechatRoom, stored: StoredRoomState | undefined, at: Date): boolean {
    if (room.live_status !== ENDED_STATUS_CODE || room.close_replay !== 0) return false;
    if (!stored) return true;
    if (stored.hasReplays) return false;
    if (
      stored.replaysCheckedAt &&
      at.getTime() - stored.replaysCheckedAt.getTime() < settings.replayRetryMinutes * 60_000
    ) {
      return false;
    }
    return !(
      stored.replaysFirstCheckedAt &&
      at.getTime() - stored.replaysFirstCheckedAt.getTime() > settings.replayGiveUpDays * DAY_MS
    );
  }

  /**
   * Asks for replays of several rooms at once, most recently ended first, within what the day's
   * quota can spare after keeping enough for another list read. One room's failure only postpones
   * that room; running out of quota stops the rest, which wait for a later sync.
   */
  async function collectReplays(
    candidates: WechatRoom[],
    meter: CallMeter,
    onChecked: () => void,
  ): Promise<{ checks: ReplayCheck[]; deferred: number }> {
    const snapshot = await quota.snapshot();
    const budget = Math.max(0, snapshot.remaining - meter.listCalls);
    const ordered = [...candidates].sort((a, b) => b.end_time - a.end_time).slice(0, budget);
    const limit = pLimit(settings.replayConcurrency);
    const checks: ReplayCheck[] = [];
    let quotaRanOut = false;
    // After a failure that fails the whole sync, queued rooms must not go on calling WeChat.
    let aborted = false;
    await settleAll(
      ordered.map((room) =>
        limit(async () => {
          if (quotaRanOut || aborted) return;
          try {
            checks.push({ roomId: room.roomid, replays: await fetchReplays(room.roomid, meter) });
            onChecked();
          } catch (error) {
            if (
              error instanceof QuotaExhaustedError ||
              (error instanceof WechatApiError && error.errcode === QUOTA_EXHAUSTED_ERRCODE)
            ) {
              if (!quotaRanOut)
                logger.warn('quota ran out while fetching replays; the rest wait for a later sync');
              quotaRanOut = true;
              return;
            }
            if (!(error instanceof WechatError)) {
              aborted = true;
              throw error;
            }
            logger.warn(
              { roomId: room.roomid, err: error.message },
              'could not fetch replays; will ask again later',
            );
            checks.push({ roomId: room.roomid, replays: [] });
          }
        }),
      ),
    );
    return { checks, deferred: candidates.length - checks.length };
  }

  async function runSync(
    meter: CallMeter,
    counts: SyncCounts,
    lockStillHeld: () => Promise<boolean>,
    onProgress: (progress: SyncProgress) => void,
    log: Logger,
  ): Promise<number> {
    const progress: SyncProgress = {
      phase: 'list',
      pagesRead: 0,
      pagesExpected: 1,
      roomsSeen: 0,
      replaysChecked: 0,
      replaysToCheck: 0,
      roomsToWrite: 0,
    };
    await wechat.refreshQuotaLimit(meter);
    const listStarted = performance.now();
    const list = await readFullRoomList(
      (start, limit) => wechat.listRooms({ start, limit }, meter),
      {
        concurrency: settings.listConcurrency,
        onPage: (page) => {
          log.debug(page, 'sync list page');
          Object.assign(progress, page);
          onProgress({ ...progress });
        },
      },
    );
    const listMs = Math.round(performance.now() - listStarted);
    if (!list.complete) {
      throw new AppError(
        'LIST_INCOMPLETE',
        `WeChat's room list kept changing during ${list.passes} reads (${list.rooms.size} rooms seen, total ${list.total}); nothing was applied`,
      );
    }

    const startedAt = now();
    const stored = await loadStoredRoomStates(db, appId);
    const toWrite: RoomContent[] = [];
    const replayCandidates: WechatRoom[] = [];
    for (const room of list.rooms.values()) {
      const content = roomContentFromWechat(appId, room);
      const existing = stored.get(room.roomid);
      if (!existing) counts.roomsAdded += 1;
      else if (existing.archived) counts.roomsRestored += 1;
      else if (existing.contentHash !== content.contentHash) counts.roomsUpdated += 1;
      // Unchanged rooms are not written at all: a steady-state sync sends no row.
      if (!existing || existing.archived || existing.contentHash !== content.contentHash)
        toWrite.push(content);
      if (needsReplays(room, existing, startedAt)) replayCandidates.push(room);
    }
    const toArchive = [...stored.values()]
      .filter((state) => !state.archived && !list.rooms.has(state.roomId))
      .map((state) => state.roomId);
    counts.roomsArchived = toArchive.length;

    const replaysStarted = performance.now();
    progress.phase = 'replays';
    progress.replaysToCheck = replayCandidates.length;
    progress.roomsToWrite = toWrite.length;
    onProgress({ ...progress });
    const { checks, deferred } = await collectReplays(replayCandidates, meter, () => {
      progress.replaysChecked += 1;
      onProgress({ ...progress });
    });
    const replaysMs = Math.round(performance.now() - replaysStarted);
    counts.replaysFetched = checks.reduce((sum, check) => sum + check.replays.length, 0);

    // Everything was fetched first; now one transaction applies it, so a failure leaves no half.
    // A sync that lost its lock (stalled past its expiry) may have been overtaken: apply nothing.
    if (!(await lockStillHeld())) {
      throw new AppError(
        'SYNC_LOCK_LOST',
        'The sync lost its lock before applying; nothing was applied',
      );
    }
    progress.phase = 'apply';
    onProgress({ ...progress });
    const appliedAt = now();
    const applyStarted = performance.now();
    await db.transaction(async (tx) => {
      await upsertRoomContents(tx, toWrite, appliedAt);
      await archiveRooms(tx, appId, toArchive, appliedAt);
      await storeReplayChecks(tx, appId, checks, appliedAt);
    });
    const applyMs = Math.round(performance.now() - applyStarted);
    log.debug(
      {
        pages: meter.listCalls,
        passes: list.passes,
        listMs,
        replaysMs,
        applyMs,
        written: toWrite.length,
      },
      'sync applied',
    );
    return deferred;
  }

  async function syncOnce(trigger: SyncTrigger, runOptions: SyncRunOptions): Promise<SyncReport> {
    const lock = await tryAcquireLock(redis, redisKeys.syncLock(appId), lockTtlMs);
    if (!lock)
      throw new AppError(
        'SYNC_IN_PROGRESS',
        'A sync is already running; try again when it has finished',
      );
    const stopKeepAlive = keepLockAlive(lock, lockTtlMs);
    const started = Date.now();
    const meter = newCallMeter();
    const counts = zeroSyncCounts();
    try {
      await failInterruptedRuns(db, appId, now());
      const runId = await startSyncRun(db, appId, trigger, now());
      const log = logger.child({ syncRunId: runId, trigger });
      log.info('sync started');
      try {
        const replaysDeferred = await runSync(
          meter,
          counts,
          () => lock.extend(),
          runOptions.onProgress ?? (() => undefined),
          log,
        );
        Object.assign(counts, meter);
        await finishSyncRun(db, runId, now(), counts);
        // A sync that wrote nothing leaves every cached answer true: keep the caches warm.
        const changed =
          counts.roomsAdded + counts.roomsUpdated + counts.roomsArchived + counts.roomsRestored >
            0 || counts.replaysFetched > 0;
        if (changed && options.onDataChanged) await options.onDataChanged();
        const report: SyncReport = {
          ...counts,
          runId,
          apiCalls: meter.listCalls + meter.replayCalls + meter.tokenCalls,
          durationMs: Date.now() - started,
          replaysDeferred,
        };
        log.info({ report }, 'sync finished');
        options.onRunFinished?.({
          trigger,
          outcome: 'succeeded',
          seconds: report.durationMs / 1000,
        });
        return report;
      } catch (error) {
        const failure = classifyError(error);
        Object.assign(counts, meter, {
          roomsAdded: 0,
          roomsUpdated: 0,
          roomsArchived: 0,
          roomsRestored: 0,
          replaysFetched: 0,
        });
        log.error(
          { code: failure.code, errcode: failure.errcode, err: failure.message },
          'sync failed; nothing was applied',
        );
        options.onRunFinished?.({
          trigger,
          outcome: 'failed',
          seconds: (Date.now() - started) / 1000,
        });
        await finishSyncRun(db, runId, now(), counts, {
          code: failure.code,
          message: failure.safeToShow ? failure.message : 'Internal error',
          errcode: failure.errcode,
        }).catch((recordError: unknown) => {
          log.error(
            { err: (recordError as Error).message },
            'could not record the failed sync run',
          );
        });
        throw error;
      }
    } finally {
      stopKeepAlive();
      await lock.release().catch(() => undefined);
    }
  }

  return {
    whenIdle: () => current ?? Promise.resolve(),

    async syncRooms(trigger, runOptions = {}) {
      const run = syncOnce(trigger, runOptions);
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
      const replays = await fetchReplays(roomId, newCallMeter());
      // An empty answer never erases stored replays: WeChat drops them after a year, we keep them.
      await storeReplayChecks(db, appId, [{ roomId, replays }], now());
      if (options.onDataChanged) await options.onDataChanged();
      const updated = await findVisibleRoom(db, appId, roomId);
      if (!updated) throw new AppError('NOT_FOUND', `Room ${roomId} is not known (or archived)`);
      return updated;
    },
  };
}
