import pLimit from 'p-limit';
import type { Logger } from 'pino';

import type { StoredReplay } from '../db/schema.js';
import type { QuotaService } from '../quota/quota.service.js';
import { ENDED_STATUS_CODE, replaysFromWechat } from '../rooms/room.mapper.js';
import type { ReplayCheck, StoredRoomState } from '../rooms/room.repository.js';
import type { CallMeter, WechatLiveClient } from '../wechat/wechat.client.js';
import {
  QuotaExhaustedError,
  QUOTA_EXHAUSTED_ERRCODE,
  WechatApiError,
  WechatError,
} from '../wechat/wechat.errors.js';
import type { WechatRoom } from '../wechat/wechat.schemas.js';
import { settleAll } from './settle-all.js';

/** Replay pages: ask generously, follow only while a page comes back full (WeChat's count lies). */
const REPLAY_PAGE_LIMIT = 100;
const MAX_REPLAY_PAGES = 10;
const DAY_MS = 24 * 60 * 60 * 1000;

/** How often a room without replays is asked again, and when the sync stops asking. */
export interface ReplayRetryPolicy {
  replayRetryMinutes: number;
  replayGiveUpDays: number;
}

/**
 * WeChat makes a show's replays available some minutes after it ends (observed: 5-15). A room seen
 * ending is first asked this long after, instead of at once for nothing and again a retry later.
 */
export const REPLAYS_READY_AFTER_END_MS = 16 * 60_000;

/**
 * Ended rooms with replay on, none stored, not asked too recently, and not given up on. A room new
 * to the database is asked at once (it ended before wxlive knew it); one seen ending is asked
 * REPLAYS_READY_AFTER_END_MS after its end was stored.
 */
export function needsReplays(
  room: WechatRoom,
  stored: StoredRoomState | undefined,
  at: Date,
  policy: ReplayRetryPolicy,
): boolean {
  if (room.live_status !== ENDED_STATUS_CODE || room.close_replay !== 0) return false;
  if (!stored) return true;
  if (stored.hasReplays) return false;
  if (!stored.replaysCheckedAt && !stored.archived) {
    if (stored.liveStatus !== ENDED_STATUS_CODE) return false;
    if (at.getTime() - stored.updatedAt.getTime() < REPLAYS_READY_AFTER_END_MS) return false;
  }
  if (
    stored.replaysCheckedAt &&
    at.getTime() - stored.replaysCheckedAt.getTime() < policy.replayRetryMinutes * 60_000
  ) {
    return false;
  }
  return !(
    stored.replaysFirstCheckedAt &&
    at.getTime() - stored.replaysFirstCheckedAt.getTime() > policy.replayGiveUpDays * DAY_MS
  );
}

/** A room to ask replays for: its id, and its end (the most recently ended are asked first). */
export type ReplayCandidate = Pick<WechatRoom, 'roomid' | 'end_time'>;

export interface ReplayCollectorOptions {
  wechat: WechatLiveClient;
  quota: QuotaService;
  logger: Logger;
  /** Rooms asked for at once. */
  concurrency: number;
}

export interface ReplayCollection {
  checks: ReplayCheck[];
  /** Candidates not asked for, because the day's quota ran short: a later sync asks. */
  deferred: number;
}

export interface ReplayCollector {
  /** Every replay segment of one room, following pages while they come back full. */
  fetchReplays(roomId: number, meter: CallMeter): Promise<StoredReplay[]>;
  /**
   * Asks for replays of several rooms at once, most recently ended first, within what the day's
   * quota can spare after keeping enough for another list read. One room's failure only postpones
   * that room; running out of quota stops the rest, which wait for a later sync.
   */
  collectReplays(
    candidates: readonly ReplayCandidate[],
    meter: CallMeter,
    onChecked: () => void,
  ): Promise<ReplayCollection>;
}

const isQuotaExhausted = (error: unknown): boolean =>
  error instanceof QuotaExhaustedError ||
  (error instanceof WechatApiError && error.errcode === QUOTA_EXHAUSTED_ERRCODE);

export function createReplayCollector(options: ReplayCollectorOptions): ReplayCollector {
  const { wechat, quota, logger } = options;

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

  async function collectReplays(
    candidates: readonly ReplayCandidate[],
    meter: CallMeter,
    onChecked: () => void,
  ): Promise<ReplayCollection> {
    const snapshot = await quota.snapshot();
    const budget = Math.max(0, snapshot.remaining - meter.listCalls);
    const ordered = [...candidates].sort((a, b) => b.end_time - a.end_time).slice(0, budget);
    const limit = pLimit(options.concurrency);
    const checks: ReplayCheck[] = [];
    let quotaRanOut = false;
    // After a failure that fails the whole sync, queued rooms must not go on calling WeChat.
    let aborted = false;

    async function checkRoom(roomId: number): Promise<void> {
      if (quotaRanOut || aborted) return;
      try {
        checks.push({ roomId, replays: await fetchReplays(roomId, meter) });
        onChecked();
      } catch (error) {
        if (isQuotaExhausted(error)) {
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
          { roomId, err: error.message },
          'could not fetch replays; will ask again later',
        );
        checks.push({ roomId, replays: [] });
      }
    }

    await settleAll(ordered.map((room) => limit(() => checkRoom(room.roomid))));
    return { checks, deferred: candidates.length - checks.length };
  }

  return { fetchReplays, collectReplays };
}
