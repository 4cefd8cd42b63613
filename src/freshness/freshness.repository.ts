import { and, eq, gte, inArray, isNull, lt, or, sql } from 'drizzle-orm';

import type { Database } from '../db/client.js';
import { rooms } from '../db/schema.js';

const LIVE_STATUSES = [101, 105];
const NOT_STARTED = 102;
const ENDED = 103;
const DAY_MS = 24 * 60 * 60 * 1000;

/** A stored room the planner may have to watch, as MySQL holds it. */
export interface WatchedRoomRow {
  roomId: number;
  liveStatus: number;
  startTime: Date;
  endTime: Date;
  /** When a read last confirmed this room individually (a full sync's confirmation is app-wide). */
  syncedAt: Date | null;
  /** Ended with replay on, no replays stored, not given up on. */
  awaitingReplays: boolean;
  replaysCheckedAt: Date | null;
  /** When the row last changed (for an ended room: about when its end was applied). */
  updatedAt: Date;
}

export interface WatchedRoomsQuery {
  appId: string;
  /** Rooms not started are watched when they are planned before this... */
  startsBefore: Date;
  /** ...and after this (older ones are overdue beyond the give-up time: left to full syncs). */
  startsAfter: Date;
  /** Ended rooms stop waiting for replays this many days after the first ask found none. */
  replayGiveUpDays: number;
  now: Date;
}

/**
 * The rooms a plan can concern: live or paused ones, ones planned to start within the window,
 * ended ones still waiting for replays. Three range reads of the status index (each branch names
 * both values of `pinned`, the index column before `start_time`, so the time bound is part of the
 * range): the planner runs this every few seconds, on merchants with 50,000 rooms almost all over.
 */
export async function loadWatchedRooms(
  db: Database,
  query: WatchedRoomsQuery,
): Promise<WatchedRoomRow[]> {
  const giveUpBefore = new Date(query.now.getTime() - query.replayGiveUpDays * DAY_MS);
  // A show that began before this cannot still wait for replays within the give-up days.
  const endedStartsAfter = new Date(giveUpBefore.getTime() - 2 * DAY_MS);
  const columns = {
    roomId: rooms.roomId,
    liveStatus: rooms.liveStatus,
    startTime: rooms.startTime,
    endTime: rooms.endTime,
    syncedAt: rooms.syncedAt,
    replaysCheckedAt: rooms.replaysCheckedAt,
    updatedAt: rooms.updatedAt,
  };
  const visible = and(eq(rooms.appId, query.appId), isNull(rooms.archivedAt));
  const eitherPin = inArray(rooms.pinned, [false, true]);
  const [live, starting, ended] = await Promise.all([
    db
      .select(columns)
      // Few rows are live: MySQL would otherwise walk the app's primary-key range for them.
      .from(rooms, { useIndex: ['rooms_status_listing_idx'] })
      .where(and(visible, inArray(rooms.liveStatus, LIVE_STATUSES))),
    db
      .select(columns)
      .from(rooms)
      .where(
        and(
          visible,
          eq(rooms.liveStatus, NOT_STARTED),
          eitherPin,
          gte(rooms.startTime, query.startsAfter),
          lt(rooms.startTime, query.startsBefore),
        ),
      ),
    db
      .select(columns)
      .from(rooms)
      .where(
        and(
          visible,
          eq(rooms.liveStatus, ENDED),
          eitherPin,
          gte(rooms.startTime, endedStartsAfter),
          eq(rooms.closeReplay, false),
          sql`json_length(${rooms.replays}) = 0`,
          or(isNull(rooms.replaysFirstCheckedAt), gte(rooms.replaysFirstCheckedAt, giveUpBefore)),
        ),
      ),
  ]);
  return [
    ...live.map((row) => ({ ...row, awaitingReplays: false })),
    ...starting.map((row) => ({ ...row, awaitingReplays: false })),
    ...ended.map((row) => ({ ...row, awaitingReplays: true })),
  ];
}
