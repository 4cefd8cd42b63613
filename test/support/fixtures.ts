import { makeRoom } from '../../src/wechat-sim/sim.rooms.js';
import type { SimReplay, SimRoom } from '../../src/wechat-sim/sim.rooms.js';

/** `count` rooms, newest first by start time, ids from `firstId` up; every field valid. */
export function roomsFixture(
  count: number,
  overrides: Partial<SimRoom> = {},
  firstId = 1000,
): SimRoom[] {
  const base = 1_790_000_000;
  return Array.from({ length: count }, (_, index) =>
    makeRoom({
      roomid: firstId + index,
      name: `房间 ${firstId + index}`,
      start_time: base + index * 3600,
      end_time: base + index * 3600 + 1800,
      live_status: 102,
      ...overrides,
    }),
  );
}

export function endedRoom(roomid: number, overrides: Partial<SimRoom> = {}): SimRoom {
  return makeRoom({
    roomid,
    name: `回放房间 ${roomid}`,
    live_status: 103,
    close_replay: 0,
    start_time: 1_790_000_000 - roomid,
    end_time: 1_790_003_600 - roomid,
    ...overrides,
  });
}

/**
 * Two replay segments as WeChat answers them, one in each observed time format: ISO UTC with `Z`,
 * and zoneless China time with the 2106 "unknown" expiry.
 */
export const replaysInBothFormats: SimReplay[] = [
  {
    create_time: '2026-11-11T03:49:55Z',
    expire_time: '2027-11-11T03:49:55Z',
    media_url: 'https://vod.example/a.mp4',
  },
  {
    create_time: '2026-11-11T12:10:00',
    expire_time: '2106-02-07T14:28:15',
    media_url: 'https://vod.example/b.m3u8',
  },
];
