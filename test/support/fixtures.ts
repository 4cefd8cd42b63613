import { makeRoom } from '../../src/wechat-sim/sim.rooms.js';
import type { SimRoom } from '../../src/wechat-sim/sim.rooms.js';

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
