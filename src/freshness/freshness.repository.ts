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
 * ended ones still waiting for replays. Each branch is a range of the status index, so the query
 * stays small on a merchant with 50,000 rooms, almost all of them long over.
 */
export async function loadWatchedRooms(
  db: Database,
  query: WatchedRoomsQuery,
): Promise<WatchedRoomRow[]> {
  const giveUpBefore = new Date(query.now.getTime() - query.replayGiveUpDays * DAY_MS);
  // A show that began before this cannot still wait for replays within the give-up days.
  const endedStartsAfter = new Date(giveUpBefore.getTime() - 2 * DAY_MS);
  const awaitingReplays = and(
    eq(rooms.liveStatus, ENDED),
    eq(rooms.closeReplay, false),
    sql`json_length(${rooms.replays}) = 0`,
    or(isNull(rooms.replaysFirstCheckedAt), gte(rooms.replaysFirstCheckedAt, giveUpBefore)),
  );
  const rows = await db
    .select({
      roomId: rooms.roomId,
      liveStatus: rooms.liveStatus,
      startTime: rooms.startTime,
      endTime: rooms.endTime,
      syncedAt: rooms.syncedAt,
      replaysCheckedAt: rooms.replaysCheckedAt,
      awaitingReplays: sql<number>`${awaitingReplays}`.mapWith(Number),
    })
    .from(rooms)
    .where(
      and(
        eq(rooms.appId, query.appId),
        isNull(rooms.archivedAt),
        or(
          inArray(rooms.liveStatus, LIVE_STATUSES),
          and(
            eq(rooms.liveStatus, NOT_STARTED),
            gte(rooms.startTime, query.startsAfter),
            lt(rooms.startTime, query.startsBefore),
          ),
          and(gte(rooms.startTime, endedStartsAfter), awaitingReplays),
        ),
      ),
    );
  return rows.map((row) => ({ ...row, awaitingReplays: row.awaitingReplays === 1 }));
}
