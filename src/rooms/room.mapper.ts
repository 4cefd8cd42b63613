import { createHash } from 'node:crypto';

import type { NewRoomRow, RoomRow, StoredReplay } from '../db/schema.js';
import { parseReplayTime } from '../wechat/wechat-time.js';
import { WechatResponseShapeError } from '../wechat/wechat.errors.js';
import {
  roomColumnsFromWechat,
  type RoomColumns,
  type WechatReplay,
  type WechatRoom,
} from '../wechat/wechat.schemas.js';

/**
 * Pure conversions WeChat raw → row → API object. Storage shape and API shape stay separate so
 * either can change without the other.
 */

export enum LiveStatus {
  LIVE = 'LIVE',
  NOT_STARTED = 'NOT_STARTED',
  ENDED = 'ENDED',
  BANNED = 'BANNED',
  PAUSED = 'PAUSED',
  ABNORMAL = 'ABNORMAL',
  EXPIRED = 'EXPIRED',
}

const STATUS_BY_CODE: ReadonlyMap<number, LiveStatus> = new Map([
  [101, LiveStatus.LIVE],
  [102, LiveStatus.NOT_STARTED],
  [103, LiveStatus.ENDED],
  [104, LiveStatus.BANNED],
  [105, LiveStatus.PAUSED],
  [106, LiveStatus.ABNORMAL],
  [107, LiveStatus.EXPIRED],
]);
const CODE_BY_STATUS: ReadonlyMap<LiveStatus, number> = new Map(
  [...STATUS_BY_CODE].map(([code, status]) => [status, code]),
);

export const ENDED_STATUS_CODE = 103;

/** A status code WeChat adds later is shown as ABNORMAL rather than failing the whole page. */
export function liveStatusFromCode(code: number): LiveStatus {
  return STATUS_BY_CODE.get(code) ?? LiveStatus.ABNORMAL;
}

export function liveStatusCode(status: LiveStatus): number {
  const code = CODE_BY_STATUS.get(status);
  if (code === undefined) throw new Error(`unknown live status ${String(status)}`);
  return code;
}

/** The WeChat-owned columns of a room, its app and their hash (no pin, replays or bookkeeping). */
export type RoomContent = { appId: string } & RoomColumns & { contentHash: string };

// Compile-time guard: every column derived from WeChat's room exists in the `rooms` table and
// takes the value the wire mapping gives it.
const syncedColumnsFitTable: RoomColumns extends Pick<NewRoomRow, keyof RoomColumns>
  ? true
  : never = true;
void syncedColumnsFitTable;

export function roomContentFromWechat(appId: string, room: WechatRoom): RoomContent {
  const content = { appId, ...roomColumnsFromWechat(room) };
  return { ...content, contentHash: hashContent(content) };
}

/** Over the columns in field order (`wechat.schemas.ts`): the order is part of the hash. */
function hashContent(content: Omit<RoomContent, 'contentHash'>): string {
  return createHash('sha1').update(JSON.stringify(content)).digest('hex');
}

/** Replay segments as stored: times in ISO-8601 UTC, the 2106 sentinel as null, duplicates dropped. */
export function replaysFromWechat(replays: readonly WechatReplay[]): StoredReplay[] {
  const seen = new Set<string>();
  const stored: StoredReplay[] = [];
  replays.forEach((replay, index) => {
    if (seen.has(replay.media_url)) return;
    seen.add(replay.media_url);
    const created = parseReplayTime(replay.create_time);
    const expires = parseReplayTime(replay.expire_time);
    if (created === undefined) {
      throw new WechatResponseShapeError(
        `live_replay[${index}].create_time`,
        `not a time: ${replay.create_time}`,
        '/wxa/business/getliveinfo',
      );
    }
    if (expires === undefined) {
      throw new WechatResponseShapeError(
        `live_replay[${index}].expire_time`,
        `not a time: ${replay.expire_time}`,
        '/wxa/business/getliveinfo',
      );
    }
    stored.push({
      mediaUrl: replay.media_url,
      // A creation time at the sentinel is as unknown as an expiry.
      createTime: created ? created.toISOString() : null,
      expireTime: expires ? expires.toISOString() : null,
    });
  });
  // Oldest first; segments of unknown age last, in WeChat's order (the sort is stable).
  return stored.sort((a, b) =>
    a.createTime === null || b.createTime === null
      ? Number(a.createTime === null) - Number(b.createTime === null)
      : a.createTime.localeCompare(b.createTime),
  );
}

/**
 * Earlier versions stored an unknown creation time as the Unix epoch: no replay was made in 1970,
 * so that instant reads as unknown too (no data migration needed).
 */
function knownInstant(iso: string | null): Date | null {
  if (iso === null) return null;
  const at = new Date(iso);
  return at.getTime() === 0 ? null : at;
}

function laterOf(a: Date | null, b: Date | null): Date | null {
  if (a === null) return b;
  if (b === null) return a;
  return a > b ? a : b;
}

export interface ReplayView {
  mediaUrl: string;
  /** Null when WeChat gives its "unknown" sentinel. */
  createTime: Date | null;
  expireTime: Date | null;
}

/**
 * What the GraphQL layer shows of a room: the stored row, with the status named, the default
 * anchor image applied and replay times parsed. The GraphQL `Room` type exposes the fields it
 * declares; a new column reaches the API by adding its field there.
 */
export type RoomView = Omit<RoomRow, 'liveStatus' | 'anchorImg' | 'replays'> & {
  liveStatus: LiveStatus;
  anchorImg: string | null;
  replays: ReplayView[];
};

/**
 * `lastFullSyncAt`: when the app's last successful full sync ended. It listed every visible room,
 * so it confirmed each of them then, without writing those that had not changed.
 */
export function roomViewFromRow(
  row: RoomRow,
  defaultAnchorImg: string | null,
  lastFullSyncAt: Date | null = null,
): RoomView {
  return {
    ...row,
    syncedAt: laterOf(row.syncedAt, lastFullSyncAt),
    liveStatus: liveStatusFromCode(row.liveStatus),
    anchorImg: row.anchorImg ?? defaultAnchorImg,
    replays: row.replays.map((replay) => ({
      mediaUrl: replay.mediaUrl,
      createTime: knownInstant(replay.createTime),
      expireTime: knownInstant(replay.expireTime),
    })),
  };
}
