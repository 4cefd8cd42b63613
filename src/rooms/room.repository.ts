import { and, asc, count, desc, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import { toSnakeCase } from 'drizzle-orm/casing';

import { bulkValues } from '../db/bulk-values.js';
import type { Database } from '../db/client.js';
import { rooms, type NewRoomRow, type RoomRow, type StoredReplay } from '../db/schema.js';
import { syncedRoomColumns } from '../wechat/wechat.schemas.js';
import type { RoomContent } from './room.mapper.js';

/** Rows per bulk statement: large enough to keep round trips few, small enough for max_allowed_packet. */
const BULK_CHUNK = 500;

type Executor = Pick<Database, 'select' | 'insert' | 'update' | 'execute'>;

export interface RoomsPageQuery {
  appId: string;
  offset: number;
  limit: number;
  /** WeChat live_status codes to keep; undefined or empty: all. */
  statusCodes?: readonly number[];
}

const visible = (appId: string, statusCodes?: readonly number[]): SQL | undefined =>
  and(
    eq(rooms.appId, appId),
    isNull(rooms.archivedAt),
    statusCodes && statusCodes.length > 0 ? inArray(rooms.liveStatus, [...statusCodes]) : undefined,
  );

/** One page of visible rooms in API order (pinned, newest start, room id) and the total count. */
export async function findRoomsPage(
  db: Executor,
  query: RoomsPageQuery,
): Promise<{ rows: RoomRow[]; total: number }> {
  const where = visible(query.appId, query.statusCodes);
  const [rows, totals] = await Promise.all([
    db
      .select()
      .from(rooms)
      .where(where)
      .orderBy(desc(rooms.pinned), desc(rooms.startTime), desc(rooms.roomId))
      .limit(query.limit)
      .offset(query.offset),
    // Counted from the listing indexes: MySQL otherwise walks the primary key, JSON and all.
    db
      .select({ total: count() })
      .from(rooms, {
        useIndex: [query.statusCodes?.length ? 'rooms_status_listing_idx' : 'rooms_listing_idx'],
      })
      .where(where),
  ]);
  return { rows, total: totals[0]?.total ?? 0 };
}

export async function findVisibleRoom(
  db: Executor,
  appId: string,
  roomId: number,
): Promise<RoomRow | null> {
  const [row] = await db
    .select()
    .from(rooms)
    .where(and(visible(appId), eq(rooms.roomId, roomId)))
    .limit(1);
  return row ?? null;
}

/** Sets the admin pin; null when the room is unknown or archived. */
export async function setRoomPinned(
  db: Executor,
  appId: string,
  roomId: number,
  pinned: boolean,
  now: Date,
): Promise<RoomRow | null> {
  await db
    .update(rooms)
    .set({ pinned, updatedAt: now })
    .where(and(visible(appId), eq(rooms.roomId, roomId)));
  return findVisibleRoom(db, appId, roomId);
}

/** What a sync needs to know about each stored room to decide what to write. */
export interface StoredRoomState {
  roomId: number;
  liveStatus: number;
  contentHash: string;
  archived: boolean;
  hasReplays: boolean;
  replaysCheckedAt: Date | null;
  replaysFirstCheckedAt: Date | null;
  /** When the row last changed: for an ended room, about when its end was stored. */
  updatedAt: Date;
}

/** The stored state of every room of the app, or of the given rooms only (a targeted refresh). */
export async function loadStoredRoomStates(
  db: Executor,
  appId: string,
  onlyRoomIds?: readonly number[],
): Promise<Map<number, StoredRoomState>> {
  if (onlyRoomIds?.length === 0) return new Map();
  const rows = await db
    .select({
      roomId: rooms.roomId,
      liveStatus: rooms.liveStatus,
      contentHash: rooms.contentHash,
      archivedAt: rooms.archivedAt,
      // Only whether replays exist, not the JSON itself: cheap even for 50,000 rooms.
      hasReplays: sql<number>`json_length(${rooms.replays}) > 0`.mapWith(Number),
      replaysCheckedAt: rooms.replaysCheckedAt,
      replaysFirstCheckedAt: rooms.replaysFirstCheckedAt,
      updatedAt: rooms.updatedAt,
    })
    .from(rooms)
    .where(
      and(
        eq(rooms.appId, appId),
        onlyRoomIds ? inArray(rooms.roomId, [...onlyRoomIds]) : undefined,
      ),
    )
    .orderBy(asc(rooms.roomId));
  return new Map(
    rows.map((row) => [
      row.roomId,
      {
        roomId: row.roomId,
        liveStatus: row.liveStatus,
        contentHash: row.contentHash,
        archived: row.archivedAt !== null,
        hasReplays: row.hasReplays === 1,
        replaysCheckedAt: row.replaysCheckedAt,
        replaysFirstCheckedAt: row.replaysFirstCheckedAt,
        updatedAt: row.updatedAt,
      },
    ]),
  );
}

// The columns a sync overwrites: WeChat's (but the key), their hash, and the bookkeeping that
// restores an archived room and dates its confirmation. `pinned`, replays and `createdAt` are not.
const SYNCED_COLUMNS: ReadonlyArray<keyof RoomRow> = [
  ...syncedRoomColumns.filter((column) => column !== 'roomId'),
  'contentHash',
  'archivedAt',
  'syncedAt',
  'updatedAt',
];

const upsertAssignments = sql.raw(
  SYNCED_COLUMNS.map((key) => `\`${toSnakeCase(key)}\` = values(\`${toSnakeCase(key)}\`)`).join(
    ', ',
  ),
);

/**
 * Inserts new rooms and overwrites the WeChat fields of known ones (restoring archived ones). The
 * rows go through `bulkValues` rather than drizzle's insert builder: a first sync of 10,000 rooms
 * spent over half a second building their statements.
 */
export async function upsertRoomContents(
  db: Executor,
  contents: readonly RoomContent[],
  now: Date,
): Promise<void> {
  for (let index = 0; index < contents.length; index += BULK_CHUNK) {
    const chunk = contents.slice(index, index + BULK_CHUNK).map((content): NewRoomRow => ({
      ...content,
      replays: [],
      archivedAt: null,
      syncedAt: now,
      createdAt: now,
      updatedAt: now,
    }));
    await db.execute(
      sql`insert into ${rooms} ${bulkValues(rooms, chunk)} on duplicate key update ${upsertAssignments}`,
    );
  }
}

/** Dates the confirmation of rooms a targeted read found unchanged (written ones are dated already). */
export async function confirmRooms(
  db: Executor,
  appId: string,
  roomIds: readonly number[],
  at: Date,
): Promise<void> {
  for (let index = 0; index < roomIds.length; index += BULK_CHUNK) {
    await db
      .update(rooms)
      .set({ syncedAt: at })
      .where(
        and(
          eq(rooms.appId, appId),
          inArray(rooms.roomId, roomIds.slice(index, index + BULK_CHUNK)),
        ),
      );
  }
}

/** Hides rooms WeChat no longer lists. They stay in the database and come back if listed again. */
export async function archiveRooms(
  db: Executor,
  appId: string,
  roomIds: readonly number[],
  now: Date,
): Promise<void> {
  for (let index = 0; index < roomIds.length; index += BULK_CHUNK) {
    await db
      .update(rooms)
      .set({ archivedAt: now, updatedAt: now })
      .where(
        and(
          eq(rooms.appId, appId),
          inArray(rooms.roomId, roomIds.slice(index, index + BULK_CHUNK)),
        ),
      );
  }
}

export interface ReplayCheck {
  roomId: number;
  /** Segments WeChat gave; empty when it had none (yet). */
  replays: StoredReplay[];
}

/**
 * Stores the outcome of asking WeChat for replays: the segments where there were some, and for
 * every room the time of asking (and of the first fruitless ask, from which the sync gives up).
 */
export async function storeReplayChecks(
  db: Executor,
  appId: string,
  checks: readonly ReplayCheck[],
  checkedAt: Date,
): Promise<void> {
  const found = checks.filter((check) => check.replays.length > 0);
  const missing = checks.filter((check) => check.replays.length === 0).map((check) => check.roomId);

  for (let index = 0; index < found.length; index += BULK_CHUNK) {
    const chunk = found.slice(index, index + BULK_CHUNK);
    const cases = sql.join(
      chunk.map((check) => sql`when ${check.roomId} then ${JSON.stringify(check.replays)}`),
      sql` `,
    );
    await db
      .update(rooms)
      .set({
        replays: sql`case ${rooms.roomId} ${cases} else ${rooms.replays} end`,
        replaysCheckedAt: checkedAt,
        updatedAt: checkedAt,
      })
      .where(
        and(
          eq(rooms.appId, appId),
          inArray(
            rooms.roomId,
            chunk.map((check) => check.roomId),
          ),
        ),
      );
  }
  for (let index = 0; index < missing.length; index += BULK_CHUNK) {
    await db
      .update(rooms)
      .set({
        replaysCheckedAt: checkedAt,
        replaysFirstCheckedAt: sql`coalesce(${rooms.replaysFirstCheckedAt}, ${checkedAt})`,
      })
      .where(
        and(
          eq(rooms.appId, appId),
          inArray(rooms.roomId, missing.slice(index, index + BULK_CHUNK)),
        ),
      );
  }
}
