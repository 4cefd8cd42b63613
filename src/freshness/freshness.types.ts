import { SyncKind } from '../db/schema.js';

/**
 * The shapes the adaptive freshness planner works with, shared by the planner (pure), its driver
 * (which reads and acts), and what admins see (the `freshness` query and `wxlive freshness`).
 * Times are epoch milliseconds inside the planner; the API turns them into DateTimes.
 */

/** How an app's rooms are kept fresh: the adaptive planner, or the fixed `SYNC_CRON` schedule. */
export const SyncMode = { ADAPTIVE: 'adaptive', CRON: 'cron' } as const;
export type SyncMode = (typeof SyncMode)[keyof typeof SyncMode];

/**
 * The planner's reads are the sync service's runs: a full sync reads every page, a targeted
 * refresh only the rows of some rooms, a replays read one call a room (sync_runs.kind).
 */
export const ReadKind = SyncKind;
export type ReadKind = SyncKind;

/**
 * Why a room is read more often than the full syncs would: it is about to start (or overdue), it
 * is live (read slowly), its planned end is near, or it ended and waits for its replays.
 * The order is the priority when the budget is short: viewers look for what is live.
 */
export const HotReason = {
  STARTING: 'starting',
  ENDING: 'ending',
  LIVE: 'live',
  REPLAYS: 'replays',
} as const;
export type HotReason = (typeof HotReason)[keyof typeof HotReason];

export interface FreshnessSettings {
  /** How stale a starting or ending room may get while the budget allows (FRESHNESS_TARGET_SECONDS). */
  targetSeconds: number;
  /** Full syncs never run more often than this (FULL_SYNC_MIN_MINUTES)... */
  fullSyncMinMinutes: number;
  /** ...and, while the budget allows, never less often than this (FULL_SYNC_MAX_MINUTES). */
  fullSyncMaxMinutes: number;
  /** Calls of the day the planner leaves for admins (QUOTA_RESERVE). */
  quotaReserve: number;
  /** An ended room without replays is asked again this often (REPLAY_RETRY_MINUTES). */
  replayRetryMinutes: number;
}

/** What the planner can spend today. */
export interface FreshnessBudget {
  /** China calendar day, YYYY-MM-DD. */
  day: string;
  limit: number;
  /** Calls spent today, WeChat's own count included (other systems on the same appid). */
  used: number;
  reserve: number;
  /** limit - used - reserve, never below 0: what the plan may still spend today. */
  left: number;
  /** When the day (and its quota) ends: the next China midnight. */
  endsAt: number;
}

/** How often each kind of read runs now that the budget has been shared out. */
export interface FreshnessIntervals {
  startingSeconds: number;
  endingSeconds: number;
  liveSeconds: number;
  replaysSeconds: number;
  fullSyncSeconds: number;
}

export interface HotRoom {
  roomId: number;
  reason: HotReason;
  /** When the room is next due to be read. */
  dueAt: number;
  /** When WeChat last confirmed the room (null: never individually, nor by a full sync). */
  confirmedAt: number | null;
}

export interface PlannedRead {
  kind: ReadKind;
  /** When the read runs (now, for reads due at once). */
  at: number;
  /** The rooms the read is for (empty for a full sync: it reads all). */
  roomIds: number[];
  /** The list pages (0-based, of the last full read's page size) it reads; empty for replays. */
  pages: number[];
  /** WeChat calls it costs (a full sync: its pages, replays not counted). */
  calls: number;
  reason: string;
}

/** A status change the service saw, and how long it may have gone unseen. */
export interface SeenTransition {
  roomId: number;
  from: number;
  to: number;
  seenAt: number;
  /** seenAt minus when WeChat last confirmed the old status: the lag is at most this. */
  lagAtMostSeconds: number | null;
  kind: ReadKind;
}

/** What admins see: the latest plan of an app and what it has seen. */
export interface FreshnessState {
  appId: string;
  mode: SyncMode;
  /** When this plan was made (null: the planner has not run for this app yet). */
  plannedAt: number | null;
  budget: FreshnessBudget | null;
  intervals: FreshnessIntervals | null;
  lastFullSyncAt: number | null;
  /** The next reads, soonest first (a few of them). */
  next: PlannedRead[];
  hotRooms: HotRoom[];
  /** Reads the budget did not allow at their time, today. */
  skippedToday: number;
  /** Newest first. */
  transitions: SeenTransition[];
}
