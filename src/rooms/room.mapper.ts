import { createHash } from 'node:crypto';

import type { NewRoomRow, RoomRow, StoredGoods, StoredReplay } from '../db/schema.js';
import { fromUnixSeconds, parseReplayTime } from '../wechat/wechat-time.js';
import { WechatResponseShapeError } from '../wechat/wechat.errors.js';
import type { WechatReplay, WechatRoom } from '../wechat/wechat.schemas.js';

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

/** The WeChat-owned columns of a room (no pin, replays or bookkeeping). */
export type RoomContent = Omit<
  NewRoomRow,
  | 'pinned'
  | 'replays'
  | 'replaysCheckedAt'
  | 'replaysFirstCheckedAt'
  | 'archivedAt'
  | 'createdAt'
  | 'updatedAt'
>;

export function roomContentFromWechat(appId: string, room: WechatRoom): RoomContent {
  const goods: StoredGoods[] = room.goods.map((item) => ({
    goodsId: item.goods_id,
    name: item.name,
    coverImg: item.cover_img,
    url: item.url,
    price: item.price,
    price2: item.price2,
    priceType: item.price_type,
    thirdPartyAppid: item.third_party_appid,
  }));
  const content = {
    appId,
    roomId: room.roomid,
    name: room.name,
    coverImg: room.cover_img,
    shareImg: room.share_img,
    feedsImg: room.feeds_img,
    liveStatus: room.live_status,
    startTime: fromUnixSeconds(room.start_time),
    endTime: fromUnixSeconds(room.end_time),
    anchorName: room.anchor_name,
    anchorImg: room.anchor_img ? room.anchor_img : null,
    liveType: room.live_type,
    closeLike: room.close_like === 1,
    closeGoods: room.close_goods === 1,
    closeComment: room.close_comment === 1,
    closeKf: room.close_kf === 1,
    closeReplay: room.close_replay === 1,
    isFeedsPublic: room.is_feeds_public === 1,
    createrOpenid: room.creater_openid,
    goods,
  };
  return { ...content, contentHash: hashContent(content) };
}

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
      // A creation time at the sentinel is as unknown as an expiry; keep the raw text's instant out.
      createTime: (created ?? new Date(0)).toISOString(),
      expireTime: expires ? expires.toISOString() : null,
    });
  });
  return stored.sort((a, b) => a.createTime.localeCompare(b.createTime));
}

/** What the GraphQL layer shows of a room. */
export interface RoomView {
  roomId: number;
  name: string;
  coverImg: string;
  shareImg: string;
  liveStatus: LiveStatus;
  startTime: Date;
  endTime: Date;
  anchorName: string;
  anchorImg: string | null;
  goods: StoredGoods[];
  replays: Array<{ mediaUrl: string; createTime: Date; expireTime: Date | null }>;
  pinned: boolean;
}

export function roomViewFromRow(row: RoomRow, defaultAnchorImg: string | null): RoomView {
  return {
    roomId: row.roomId,
    name: row.name,
    coverImg: row.coverImg,
    shareImg: row.shareImg,
    liveStatus: liveStatusFromCode(row.liveStatus),
    startTime: row.startTime,
    endTime: row.endTime,
    anchorName: row.anchorName,
    anchorImg: row.anchorImg ?? defaultAnchorImg,
    goods: row.goods,
    replays: row.replays.map((replay) => ({
      mediaUrl: replay.mediaUrl,
      createTime: new Date(replay.createTime),
      expireTime: replay.expireTime === null ? null : new Date(replay.expireTime),
    })),
    pinned: row.pinned,
  };
}
