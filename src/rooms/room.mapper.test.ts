import { describe, expect, it } from 'vitest';

import type { RoomRow } from '../db/schema.js';
import { wechatRoomSchema } from '../wechat/wechat.schemas.js';
import {
  LiveStatus,
  liveStatusCode,
  liveStatusFromCode,
  replaysFromWechat,
  roomContentFromWechat,
  roomViewFromRow,
} from './room.mapper.js';

const rawRoom = wechatRoomSchema.parse({
  roomid: 42,
  name: '🔥 双十一直播',
  cover_img: 'https://img/cover.jpg',
  share_img: 'https://img/share.jpg',
  live_status: 103,
  start_time: 1_700_000_000,
  end_time: 1_700_003_600,
  anchor_name: '小王',
  goods: [
    {
      goods_id: 7,
      name: '杯子',
      cover_img: 'c',
      url: 'pages/goods?id=7',
      price: 1990,
      price2: 0,
      price_type: 1,
      third_party_appid: '',
    },
  ],
  close_replay: 0,
  close_like: 1,
  unknown_future_field: 'ignored',
});

describe('roomContentFromWechat', () => {
  it('keeps instants as UTC from Unix seconds and maps the 0/1 switches to booleans', () => {
    const content = roomContentFromWechat('wxapp', rawRoom);
    expect(content.startTime.toISOString()).toBe('2023-11-14T22:13:20.000Z');
    expect(content).toMatchObject({
      appId: 'wxapp',
      roomId: 42,
      closeLike: true,
      closeReplay: false,
      anchorImg: null,
    });
    expect(content.goods).toEqual([
      {
        goodsId: 7,
        name: '杯子',
        coverImg: 'c',
        url: 'pages/goods?id=7',
        price: 1990,
        price2: 0,
        priceType: 1,
        thirdPartyAppid: '',
      },
    ]);
  });

  it('hashes content exactly as before the room shape was derived from the wire schema', () => {
    // Figures taken from the previous hand-written mapper: a different hash would make the first
    // sync after an upgrade rewrite every room.
    const full = wechatRoomSchema.parse({
      ...rawRoom,
      anchor_img: 'https://img/a.jpg',
      live_type: 1,
      close_comment: 1,
      is_feeds_public: 1,
      creater_openid: 'oX',
      feeds_img: 'https://img/f.jpg',
    });
    const minimal = wechatRoomSchema.parse({
      roomid: 7,
      name: 'n',
      live_status: 101,
      start_time: 1,
      end_time: 2,
    });
    expect(roomContentFromWechat('wxapp', full).contentHash).toBe(
      '1d0ee60cc37dffec24c2ac7f0d9cad700d2e8927',
    );
    expect(roomContentFromWechat('wxapp', minimal).contentHash).toBe(
      '6fb2de1dd3c629f6491e58699a0d67d4798bc21a',
    );
  });

  it('gives the same hash for the same content and a new one when a field changes', () => {
    const first = roomContentFromWechat('wxapp', rawRoom).contentHash;
    expect(roomContentFromWechat('wxapp', { ...rawRoom }).contentHash).toBe(first);
    expect(roomContentFromWechat('wxapp', { ...rawRoom, live_status: 101 }).contentHash).not.toBe(
      first,
    );
  });
});

describe('replaysFromWechat', () => {
  it('parses both time formats, maps the sentinel to null and drops duplicate segments', () => {
    const replays = replaysFromWechat([
      {
        create_time: '2020-11-11T11:49:55',
        expire_time: '2106-02-07T14:28:15',
        media_url: 'https://v/b.m3u8',
      },
      {
        create_time: '2020-11-11T03:00:00Z',
        expire_time: '2021-11-11T03:00:00Z',
        media_url: 'https://v/a.mp4',
      },
      {
        create_time: '2020-11-11T03:00:00Z',
        expire_time: '2021-11-11T03:00:00Z',
        media_url: 'https://v/a.mp4',
      },
    ]);
    expect(replays).toEqual([
      {
        mediaUrl: 'https://v/a.mp4',
        createTime: '2020-11-11T03:00:00.000Z',
        expireTime: '2021-11-11T03:00:00.000Z',
      },
      { mediaUrl: 'https://v/b.m3u8', createTime: '2020-11-11T03:49:55.000Z', expireTime: null },
    ]);
  });

  it('stores a creation time at the "unknown" sentinel as null and lists such segments last', () => {
    const replays = replaysFromWechat([
      { create_time: '2106-02-07T14:28:15', expire_time: '2106-02-07T14:28:15', media_url: 'u' },
      { create_time: '2020-11-11T03:00:00Z', expire_time: '2106-02-07T14:28:15', media_url: 'k' },
    ]);
    expect(replays).toEqual([
      { mediaUrl: 'k', createTime: '2020-11-11T03:00:00.000Z', expireTime: null },
      { mediaUrl: 'u', createTime: null, expireTime: null },
    ]);
  });

  it('names the field when a time cannot be read', () => {
    expect(() =>
      replaysFromWechat([{ create_time: 'soon', expire_time: '', media_url: 'x' }]),
    ).toThrow(/live_replay\[0\]\.create_time/);
  });
});

describe('live status', () => {
  it('maps every WeChat code both ways', () => {
    for (const code of [101, 102, 103, 104, 105, 106, 107])
      expect(liveStatusCode(liveStatusFromCode(code))).toBe(code);
  });

  it('shows a status code WeChat adds later as ABNORMAL', () => {
    expect(liveStatusFromCode(199)).toBe(LiveStatus.ABNORMAL);
  });
});

describe('roomViewFromRow', () => {
  const row = {
    ...roomContentFromWechat('wxapp', rawRoom),
    replays: [{ mediaUrl: 'm', createTime: '2020-11-11T03:00:00.000Z', expireTime: null }],
    pinned: true,
    replaysCheckedAt: null,
    replaysFirstCheckedAt: null,
    archivedAt: null,
    createdAt: new Date(),
    updatedAt: new Date(),
  } as RoomRow;

  it('falls back to the default anchor image only when WeChat gave none', () => {
    expect(roomViewFromRow(row, 'https://default/anchor.png').anchorImg).toBe(
      'https://default/anchor.png',
    );
    expect(
      roomViewFromRow({ ...row, anchorImg: 'https://a.png' }, 'https://default/anchor.png')
        .anchorImg,
    ).toBe('https://a.png');
  });

  it('reads a creation time stored as the epoch by earlier versions as unknown', () => {
    const legacy = {
      ...row,
      replays: [{ mediaUrl: 'm', createTime: '1970-01-01T00:00:00.000Z', expireTime: null }],
    };
    expect(roomViewFromRow(legacy, null).replays[0]?.createTime).toBeNull();
  });

  it('turns stored replay times into Dates and keeps unknown expiry null', () => {
    const view = roomViewFromRow(row, null);
    expect(view.liveStatus).toBe(LiveStatus.ENDED);
    expect(view.replays[0]).toEqual({
      mediaUrl: 'm',
      createTime: new Date('2020-11-11T03:00:00.000Z'),
      expireTime: null,
    });
  });
});
