import {
  bigint,
  boolean,
  customType,
  datetime,
  index,
  int,
  mysqlEnum,
  mysqlTable,
  primaryKey,
  smallint,
  tinyint,
  varchar,
} from 'drizzle-orm/mysql-core';

import type { StoredGoods } from '../wechat/wechat.schemas.js';

/**
 * JSON stored in a JSON column. MariaDB implements JSON as LONGTEXT, so the driver hands back a
 * string there and an object on MySQL 8: accept both.
 */
const jsonColumn = <T>() =>
  customType<{ data: T; driverData: string }>({
    dataType: () => 'json',
    toDriver: (value) => JSON.stringify(value),
    fromDriver: (value) => (typeof value === 'string' ? JSON.parse(value) : value) as T,
  });

/** One replay segment; a time is null when WeChat gives its "unknown" sentinel. */
export interface StoredReplay {
  mediaUrl: string;
  createTime: string | null;
  expireTime: string | null;
}

const utc = { mode: 'date', fsp: 3 } as const;

/**
 * One row per (mini-program, WeChat room). Goods and replays are JSON columns: they are always read
 * and replaced together with their room, so a page of rooms is one indexed range read, no joins.
 */
export const rooms = mysqlTable(
  'rooms',
  {
    appId: varchar({ length: 32 }).notNull(),
    roomId: int().notNull(),
    name: varchar({ length: 255 }).notNull(),
    coverImg: varchar({ length: 1024 }).notNull(),
    shareImg: varchar({ length: 1024 }).notNull(),
    feedsImg: varchar({ length: 1024 }).notNull().default(''),
    liveStatus: smallint().notNull(),
    startTime: datetime(utc).notNull(),
    endTime: datetime(utc).notNull(),
    anchorName: varchar({ length: 255 }).notNull(),
    anchorImg: varchar({ length: 1024 }),
    liveType: tinyint().notNull().default(0),
    closeLike: boolean().notNull().default(false),
    closeGoods: boolean().notNull().default(false),
    closeComment: boolean().notNull().default(false),
    closeKf: boolean().notNull().default(false),
    closeReplay: boolean().notNull().default(false),
    isFeedsPublic: boolean().notNull().default(false),
    createrOpenid: varchar({ length: 128 }).notNull().default(''),
    /** WeChat's goods, mapped as `wechat.schemas.ts` defines. */
    goods: jsonColumn<StoredGoods[]>()().notNull(),
    replays: jsonColumn<StoredReplay[]>()().notNull(),
    /** Hash of the WeChat fields above: lets a sync skip rows that did not change. */
    contentHash: varchar({ length: 64 }).notNull(),
    /** Set only by admins; a sync never writes it. */
    pinned: boolean().notNull().default(false),
    /** When replays were last asked for (null: never). */
    replaysCheckedAt: datetime(utc),
    /** When replays were first asked for without result: the sync gives up some days after. */
    replaysFirstCheckedAt: datetime(utc),
    /** Set when WeChat stopped listing the room; such rooms are hidden, never deleted. */
    archivedAt: datetime(utc),
    /**
     * When a read last confirmed this room by itself: a sync that wrote it, or a targeted refresh
     * that read it. A full sync confirms every listed room without writing unchanged ones; that
     * confirmation is its run's (see `Room.syncedAt`).
     */
    syncedAt: datetime(utc),
    createdAt: datetime(utc).notNull(),
    updatedAt: datetime(utc).notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.appId, table.roomId] }),
    // Serve `rooms` ordered by pinned, start time, room id straight from the index.
    index('rooms_listing_idx').on(
      table.appId,
      table.archivedAt,
      table.pinned,
      table.startTime,
      table.roomId,
    ),
    index('rooms_status_listing_idx').on(
      table.appId,
      table.archivedAt,
      table.liveStatus,
      table.pinned,
      table.startTime,
      table.roomId,
    ),
  ],
);

/** What started a sync: the schedule, an admin's mutation, the command line, or the adaptive planner. */
export const SyncTrigger = {
  CRON: 'cron',
  ADMIN: 'admin',
  CLI: 'cli',
  PLANNER: 'planner',
} as const;
export type SyncTrigger = (typeof SyncTrigger)[keyof typeof SyncTrigger];

/** What a run read: the whole list, the rows of some rooms, or some rooms' replays. */
export const SyncKind = { FULL: 'full', TARGETED: 'targeted', REPLAYS: 'replays' } as const;
export type SyncKind = (typeof SyncKind)[keyof typeof SyncKind];

export const SyncOutcome = {
  RUNNING: 'running',
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
} as const;
export type SyncOutcome = (typeof SyncOutcome)[keyof typeof SyncOutcome];

/** One row per sync attempt that got the lock: what it did and what it cost. */
export const syncRuns = mysqlTable(
  'sync_runs',
  {
    id: bigint({ mode: 'number', unsigned: true }).autoincrement().primaryKey(),
    appId: varchar({ length: 32 }).notNull(),
    trigger: mysqlEnum(SyncTrigger).notNull(),
    kind: mysqlEnum(SyncKind).notNull().default(SyncKind.FULL),
    outcome: mysqlEnum(SyncOutcome).notNull(),
    startedAt: datetime(utc).notNull(),
    finishedAt: datetime(utc),
    roomsAdded: int().notNull().default(0),
    roomsUpdated: int().notNull().default(0),
    roomsArchived: int().notNull().default(0),
    roomsRestored: int().notNull().default(0),
    replaysFetched: int().notNull().default(0),
    listCalls: int().notNull().default(0),
    replayCalls: int().notNull().default(0),
    tokenCalls: int().notNull().default(0),
    errorCode: varchar({ length: 64 }),
    wechatErrcode: int(),
    errorMessage: varchar({ length: 1024 }),
  },
  (table) => [
    index('sync_runs_app_started_idx').on(table.appId, table.startedAt),
    // Every sync first closes runs a killed process left 'running': find those without a scan.
    index('sync_runs_app_outcome_idx').on(table.appId, table.outcome),
    // The last successful full sync (every room's confirmation) without a scan.
    index('sync_runs_app_kind_outcome_idx').on(
      table.appId,
      table.kind,
      table.outcome,
      table.finishedAt,
    ),
  ],
);

export type RoomRow = typeof rooms.$inferSelect;
export type NewRoomRow = typeof rooms.$inferInsert;
export type SyncRunRow = typeof syncRuns.$inferSelect;
