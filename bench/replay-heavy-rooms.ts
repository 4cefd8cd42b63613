import {
  formatUtcZ,
  generateRooms,
  SIM_EPOCH,
  type SimReplay,
  type SimRoom,
} from '../src/wechat-sim/sim.rooms.js';

const DAY = 86_400;
const HOUR = 3_600;

/** Ended, replay switched on, and at least one replay segment WeChat will answer. */
export function endedWithReplays(room: SimRoom): boolean {
  return (
    room.live_status === 103 &&
    room.close_replay === 0 &&
    Array.isArray(room.replays) &&
    room.replays.length > 0
  );
}

/**
 * The "most of them ended with replays": generateRooms alone gives about half (70% ended,
 * less those with replay off, none yet or unavailable). Nine rooms in ten are turned into ended
 * rooms with one segment (kept as generated when they already qualify); the tenth stays as
 * generated, so live, upcoming, replay-off and replay-less rooms are still in the mix.
 */
export function mostlyEndedWithReplays(count: number, seed: number): SimRoom[] {
  return generateRooms({ count, seed }).map((room, index) => {
    if (index % 10 === 0 || endedWithReplays(room)) return room;
    const end = SIM_EPOCH - (1 + (index % 300)) * DAY;
    const created = end + 600;
    const replay: SimReplay = {
      create_time: formatUtcZ(created),
      expire_time: formatUtcZ(created + 365 * DAY),
      media_url: `https://1251234567.vod2.myqcloud-sim.com/bench${room.roomid}/vodfile0/f0.mp4`,
    };
    return {
      ...room,
      live_status: 103,
      start_time: end - 2 * HOUR,
      end_time: end,
      close_replay: 0,
      replays: [replay],
    };
  });
}
