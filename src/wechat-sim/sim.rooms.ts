import {
  wireRoomDefaults,
  type WechatGoodsWire,
  type WechatReplay,
  type WechatRoomWire,
} from '../wechat/wechat.schemas.js';

/** A product as WeChat lists it inside a `room_info` item. Prices are integers in fen. */
export type SimGoods = WechatGoodsWire;

/** A replay segment exactly as `get_replay` answers it: times are strings in one of two formats. */
export type SimReplay = WechatReplay;

/**
 * A live room in WeChat's raw `room_info` shape (defined once, in `wechat/wechat.schemas.ts`), plus
 * `replays`, which only the simulator reads: it never appears in list answers. `undefined` or `[]`
 * answers an empty replay list, `'unavailable'` answers errcode 9410003.
 */
export type SimRoom = WechatRoomWire & { replays?: SimReplay[] | 'unavailable' };

export interface GenerateRoomsOptions {
  count: number;
  seed?: number;
  /** Unix seconds the statuses and times are relative to. */
  now?: number;
  firstRoomId?: number;
}

/** 2026-11-12 12:00 China time: a fixed "now" so generated rooms are identical on every run. */
export const SIM_EPOCH = 1_794_456_000;

/** WeChat's "unknown" expiry: the 32-bit unsigned time_t maximum, written zoneless. */
export const REPLAY_EXPIRY_SENTINEL = '2106-02-07T14:28:15';

const DAY = 86_400;
const HOUR = 3_600;
const CHINA_OFFSET_SECONDS = 8 * HOUR;

/** The documented replay time format: ISO-8601 UTC with `Z`. */
export function formatUtcZ(unixSeconds: number): string {
  return `${new Date(unixSeconds * 1000).toISOString().slice(0, 19)}Z`;
}

/** The observed undocumented format: China wall-clock time without a zone. */
export function formatChinaLocal(unixSeconds: number): string {
  return new Date((unixSeconds + CHINA_OFFSET_SECONDS) * 1000).toISOString().slice(0, 19);
}

/** mulberry32: tiny, fast, and good enough to make fixtures look varied yet reproducible. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const TITLES = [
  '双十一直播',
  '新品首发',
  '年货节专场',
  '店长带你逛',
  '秋冬上新',
  '限时秒杀',
  '会员日福利',
  '直播间抽奖',
  '工厂直供',
  '周末特惠',
] as const;
const EMOJI = ['🔥 ', '🎁 ', '✨ ', '🛍️ ', '💄 '] as const;
const ANCHORS = [
  '小美',
  '阿杰',
  '店长Lily',
  '王老师',
  '🌸花花',
  '李姐',
  'Tony老师',
  '小鱼儿',
] as const;
const GOODS_NAMES = [
  '羊毛围巾',
  '保温杯 500ml',
  '面霜套装',
  '蓝牙耳机',
  '零食大礼包',
  '纯棉T恤',
  '儿童绘本',
  '不粘锅',
] as const;
const OPENID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const CDN_HOST = 'https://1251234567.vod2.myqcloud-sim.com';
const IMG_HOST = 'https://mmbiz.qpic.cn/sim';

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)] as T;
}

function int(rand: () => number, min: number, maxInclusive: number): number {
  return min + Math.floor(rand() * (maxInclusive - min + 1));
}

function makeOpenid(rand: () => number): string {
  let id = 'o';
  for (let i = 0; i < 27; i++) id += OPENID_ALPHABET[Math.floor(rand() * OPENID_ALPHABET.length)];
  return id;
}

function makeGoods(rand: () => number, goodsId: number): SimGoods {
  const base = int(rand, 5, 600) * 100 - (rand() < 0.4 ? 1 : 0);
  const roll = rand();
  const priceType = roll < 0.6 ? 1 : roll < 0.8 ? 2 : 3;
  // price2 only means something for ranges (upper bound) and discounts (the price now).
  const price2 =
    priceType === 1 ? 0 : priceType === 2 ? base + int(rand, 1, 20) * 500 : Math.floor(base * 0.8);
  return {
    goods_id: goodsId,
    name: pick(rand, GOODS_NAMES),
    cover_img: `${IMG_HOST}/goods/${goodsId}.jpg`,
    url: `pages/goods/detail?goods_id=${goodsId}`,
    price: base,
    price2,
    price_type: priceType,
    third_party_appid: rand() < 0.1 ? 'wx3rdparty000001' : '',
  };
}

function mediaUrl(rand: () => number, roomid: number, segment: number): string {
  const file = ((Math.imul(roomid, 0x9e3779b1) + segment * 40_503) >>> 0)
    .toString(16)
    .padStart(8, '0');
  return rand() < 0.6
    ? `${CDN_HOST}/${file}/vodfile${segment}/f0.mp4`
    : `${CDN_HOST}/${file}/vodfile${segment}/playlist.m3u8`;
}

function makeReplays(
  rand: () => number,
  roomid: number,
  endTime: number,
  now: number,
): SimReplay[] | 'unavailable' {
  const roll = rand();
  if (roll < 0.08) return 'unavailable';
  // WeChat needs about ten minutes after the end to produce a replay.
  const firstCreate = endTime + int(rand, 600, 900);
  if (firstCreate > now || roll < 0.18) return [];
  const segments = rand() < 0.3 ? 2 : 1;
  const replays: SimReplay[] = [];
  for (let k = 0; k < segments; k++) {
    const create = firstCreate + k * int(rand, 60, 300);
    const sentinel = rand() < 0.15;
    const zulu = rand() < 0.5;
    const format = zulu ? formatUtcZ : formatChinaLocal;
    replays.push({
      create_time: format(create),
      expire_time: sentinel ? REPLAY_EXPIRY_SENTINEL : format(create + 365 * DAY),
      media_url: mediaUrl(rand, roomid, k),
    });
  }
  return replays;
}

/**
 * Deterministic rooms: the same options always give the same rooms. About 70% ended (most with
 * 1-2 replay segments, some with none yet, a few unavailable), then live, not started, and a few
 * banned/paused/abnormal/expired. Cheap enough for 50,000 rooms.
 */
export function generateRooms(opts: GenerateRoomsOptions): SimRoom[] {
  const rand = mulberry32(opts.seed ?? 1);
  const now = opts.now ?? SIM_EPOCH;
  const firstRoomId = opts.firstRoomId ?? 1;
  // A merchant has a handful of staff creating rooms, not one account per room.
  const creators = Array.from({ length: 5 }, () => makeOpenid(rand));
  let nextGoodsId = 10_000 + firstRoomId * 10;
  const rooms: SimRoom[] = [];

  for (let i = 0; i < opts.count; i++) {
    const roomid = firstRoomId + i;
    const statusRoll = rand();
    let liveStatus: number;
    let start: number;
    let end: number;
    if (statusRoll < 0.7) {
      liveStatus = 103;
      start = now - int(rand, HOUR, 360 * DAY);
      end = Math.min(start + int(rand, 1800, 4 * HOUR), now - 60);
    } else if (statusRoll < 0.8) {
      liveStatus = 101;
      start = now - int(rand, 0, 3 * HOUR);
      end = now + int(rand, 1800, 4 * HOUR);
    } else if (statusRoll < 0.92) {
      liveStatus = 102;
      start = now + int(rand, HOUR, 30 * DAY);
      end = start + 2 * HOUR;
    } else {
      liveStatus = int(rand, 104, 107);
      start = now - int(rand, DAY, 200 * DAY);
      end = start + HOUR;
    }

    const closeReplay = rand() < 0.1 ? 1 : 0;
    let replays: SimRoom['replays'];
    if (liveStatus === 103) replays = closeReplay === 1 ? [] : makeReplays(rand, roomid, end, now);

    const goods: SimGoods[] = [];
    const goodsCount = int(rand, 0, 4);
    for (let g = 0; g < goodsCount; g++) goods.push(makeGoods(rand, nextGoodsId++));

    const room: SimRoom = {
      // A field WeChat added after this generator was written gets its usual value.
      ...wireRoomDefaults(),
      roomid,
      name: `${rand() < 0.35 ? pick(rand, EMOJI) : ''}${pick(rand, TITLES)} #${roomid}`,
      cover_img: `${IMG_HOST}/cover/${roomid}.jpg`,
      share_img: `${IMG_HOST}/share/${roomid}.jpg`,
      live_status: liveStatus,
      start_time: start,
      end_time: end,
      anchor_name: pick(rand, ANCHORS),
      goods,
      live_type: rand() < 0.3 ? 1 : 0,
      close_like: rand() < 0.1 ? 1 : 0,
      close_goods: rand() < 0.1 ? 1 : 0,
      close_comment: rand() < 0.1 ? 1 : 0,
      close_kf: rand() < 0.1 ? 1 : 0,
      close_replay: closeReplay,
      is_feeds_public: rand() < 0.5 ? 1 : 0,
      creater_openid: pick(rand, creators),
      feeds_img: `${IMG_HOST}/feeds/${roomid}.jpg`,
    };
    // WeChat stopped sending anchor_img in newer answers; keep the key absent, not empty.
    if (rand() < 0.3) room.anchor_img = `${IMG_HOST}/anchor/${roomid}.jpg`;
    if (replays !== undefined) room.replays = replays;
    rooms[i] = room;
  }
  return rooms;
}

/** An ended room with replay switched on, no replays and one product, for tests to tweak. */
export function makeRoom(overrides: Partial<SimRoom> & { roomid: number }): SimRoom {
  const { roomid } = overrides;
  const start = SIM_EPOCH - DAY;
  return {
    ...wireRoomDefaults(),
    name: `测试直播间 #${roomid}`,
    cover_img: `${IMG_HOST}/cover/${roomid}.jpg`,
    share_img: `${IMG_HOST}/share/${roomid}.jpg`,
    live_status: 103,
    start_time: start,
    end_time: start + 2 * HOUR,
    anchor_name: '测试主播',
    goods: [
      {
        goods_id: 90_000 + roomid,
        name: '测试商品',
        cover_img: `${IMG_HOST}/goods/${90_000 + roomid}.jpg`,
        url: `pages/goods/detail?goods_id=${90_000 + roomid}`,
        price: 9900,
        price2: 0,
        price_type: 1,
        third_party_appid: '',
      },
    ],
    live_type: 0,
    close_like: 0,
    close_goods: 0,
    close_comment: 0,
    close_kf: 0,
    close_replay: 0,
    is_feeds_public: 1,
    creater_openid: 'oSimTestCreator0000000000000',
    feeds_img: `${IMG_HOST}/feeds/${roomid}.jpg`,
    ...overrides,
  };
}
