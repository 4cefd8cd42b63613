import { describe, expect, it } from 'vitest';

import {
  chinaMidnight,
  createDayPlayer,
  END_PLANNED_WITHIN_MS,
  scriptDay,
  type DayEvent,
} from './sim.day.js';
import type { SimRoom } from './sim.rooms.js';
import { startWechatSimulator } from './sim.server.js';

const MINUTE = 60_000;
// 2026-11-12 15:00 China time: the day scripted is 2026-11-12 (China), from 2026-11-11T16:00Z.
const day = scriptDay({ day: Date.UTC(2026, 10, 12, 7), seed: 3 });
const ofKind = (kind: DayEvent['kind']) => day.events.filter((event) => event.kind === kind);

describe('a scripted day', () => {
  it('starts at China midnight and keeps every event inside the day, in time order', () => {
    expect(new Date(day.startsAt).toISOString()).toBe('2026-11-11T16:00:00.000Z');
    expect(chinaMidnight(day.endsAt - 1)).toBe(day.startsAt);
    expect(day.events.every((event) => event.at >= day.startsAt && event.at < day.endsAt)).toBe(
      true,
    );
    const times = day.events.map((event) => event.at);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('lists 300 rooms at midnight, none of the background ones due to change today', () => {
    expect(day.rooms).toHaveLength(300);
    const changing = new Set(day.events.map((event) => event.roomid));
    const background = day.rooms.filter((room) => !changing.has(room.roomid));
    expect(background.some((room) => room.live_status === 101)).toBe(false);
    const startsToday = background.filter(
      (room) => room.live_status === 102 && room.start_time * 1000 < day.endsAt,
    );
    expect(startsToday).toEqual([]);
  });

  it('plays 16 planned shows: 2 start early, the rest 0-15 minutes late; 2 end early', () => {
    const planned = day.rooms.filter((room) => room.roomid >= 100_000);
    expect(planned).toHaveLength(16);
    const shift = (room: SimRoom, kind: 'start' | 'end') =>
      ofKind(kind).find((event) => event.roomid === room.roomid)!.at -
      (kind === 'start' ? room.start_time : room.end_time) * 1000;
    const startShifts = planned.map((room) => shift(room, 'start'));
    expect(startShifts.filter((ms) => ms < 0)).toHaveLength(2);
    expect(startShifts.every((ms) => ms >= -10 * MINUTE && ms <= 15 * MINUTE)).toBe(true);
    const endShifts = planned.map((room) => shift(room, 'end'));
    expect(endShifts.filter((ms) => Math.abs(ms) > END_PLANNED_WITHIN_MS)).toHaveLength(2);
  });

  it('bans 2 rooms, creates 8 that start later the same day, and readies every replay 5-15 minutes after its end', () => {
    expect(ofKind('ban')).toHaveLength(2);
    expect(ofKind('ban').every((event) => event.class === 'unplanned')).toBe(true);
    const created = ofKind('create');
    expect(created).toHaveLength(8);
    for (const event of created) {
      const start = ofKind('start').find((other) => other.roomid === event.roomid)!;
      expect(start.at).toBeGreaterThan(event.at);
    }
    for (const replay of ofKind('replays')) {
      const end = ofKind('end').find((event) => event.roomid === replay.roomid)!;
      expect(replay.at - end.at).toBeGreaterThanOrEqual(5 * MINUTE);
      expect(replay.at - end.at).toBeLessThanOrEqual(15 * MINUTE);
    }
    expect(ofKind('replays')).toHaveLength(24);
  });

  it('is the same day for the same options', () => {
    expect(scriptDay({ day: Date.UTC(2026, 10, 12, 7), seed: 3 })).toEqual(day);
    expect(scriptDay({ day: Date.UTC(2026, 10, 12, 7), seed: 4 }).events).not.toEqual(day.events);
  });
});

describe('the day player', () => {
  it('applies each event once, when its time has come', () => {
    const rooms = new Map(day.rooms.map((room) => [room.roomid, structuredClone(room)]));
    const player = createDayPlayer(
      {
        addRoom: (room) => rooms.set(room.roomid, structuredClone(room)),
        updateRoom: (roomid, patch) => Object.assign(rooms.get(roomid)!, patch),
      },
      day,
    );
    const firstStart = ofKind('start')[0]!;
    const early = player.advanceTo(firstStart.at - 1);
    expect(early.some((event) => event.kind === 'start')).toBe(false);
    const atFirstStart = player.advanceTo(firstStart.at);
    expect(atFirstStart).toContainEqual(firstStart);
    expect(rooms.get(firstStart.roomid)?.live_status).toBe(101);
    const rest = player.advanceTo(day.endsAt);
    expect(early.length + atFirstStart.length + rest.length).toBe(day.events.length);
    expect(player.nextEventAt()).toBeNull();
    expect(player.advanceTo(day.endsAt + 1)).toEqual([]);
    expect(rooms.size).toBe(308);
    const shows = [...rooms.values()].filter((room) => room.roomid >= 100_000);
    expect(shows.every((room) => room.live_status === 103 && Array.isArray(room.replays))).toBe(
      true,
    );
    const bannedAtMidnight = day.rooms.filter((room) => room.live_status === 104).length;
    const bannedAtEnd = [...rooms.values()].filter((room) => room.live_status === 104).length;
    expect(bannedAtEnd - bannedAtMidnight).toBe(2);
  });

  it('drives a running simulator: rooms created during the day enter its list', async () => {
    const sim = await startWechatSimulator({ rooms: day.rooms });
    try {
      const player = createDayPlayer(sim, day);
      player.advanceTo(day.endsAt);
      const listed = sim.rooms();
      expect(listed).toHaveLength(308);
      expect(listed.filter((room) => room.roomid >= 101_000)).toHaveLength(8);
      // Newest start first, as WeChat sorts: a room created today shifts every older one down.
      const starts = listed.map((room) => room.start_time);
      expect(starts).toEqual([...starts].sort((a, b) => b - a));
    } finally {
      await sim.close();
    }
  });
});
