import { formatUtcZ, generateRooms, makeRoom, mulberry32, type SimRoom } from './sim.rooms.js';

/**
 * A whole China day of room life, scripted ahead: what WeChat knows at midnight, and every change
 * it goes through during the day, each at a set instant. WeChat tells nobody about these changes,
 * so the script is also the ground truth a freshness benchmark measures the service's lag against.
 * Deterministic: the same options give the same day.
 */

export type DayEventKind = 'start' | 'end' | 'ban' | 'create' | 'replays';

/**
 * `planned`: a start, or an end within `END_PLANNED_WITHIN_MS` of the planned end, that a service
 * knowing the planned times can expect. `unplanned`: a ban, an end well before the plan. `new`: a
 * room created during the day. `replays`: a replay becoming available.
 */
export type DayEventClass = 'planned' | 'unplanned' | 'new' | 'replays';

export interface DayEvent {
  /** Epoch milliseconds when the change happens at WeChat. */
  at: number;
  roomid: number;
  kind: DayEventKind;
  class: DayEventClass;
  /** What the room looks like from then on (applied as a patch; `create` carries the whole room). */
  patch: Partial<SimRoom>;
}

export interface ScriptedDay {
  /** Epoch ms of the China midnight the day starts at. */
  startsAt: number;
  /** Epoch ms of the next China midnight. */
  endsAt: number;
  /** The rooms WeChat lists at midnight. */
  rooms: SimRoom[];
  /** Every change during the day, in time order. */
  events: DayEvent[];
}

export interface ScriptDayOptions {
  /** Any instant of the China day to script (the day containing it is used). */
  day: number;
  seed?: number;
  /** Rooms listed at midnight, of which `plannedToday` start during the day (default 300, 16). */
  rooms?: number;
  plannedToday?: number;
  /** Of the planned starts, how many come early instead of 0-15 minutes late (default 2). */
  earlyStarts?: number;
  /** Of the planned ends, how many come well before the plan (default 2). */
  earlyEnds?: number;
  /** Rooms banned without warning during the day (default 2). */
  bans?: number;
  /** Rooms created during the day, each starting later that day (default 8). */
  createdToday?: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const CHINA_OFFSET_MS = 8 * HOUR;
/** An end this close to its planned time is one a planner can expect. */
export const END_PLANNED_WITHIN_MS = 30 * MINUTE;
const LIVE = 101;
const NOT_STARTED = 102;
const ENDED = 103;
const BANNED = 104;
const FIRST_DAY_ROOM_ID = 100_000;

/** The China midnight at or before `at`. */
export function chinaMidnight(at: number): number {
  return Math.floor((at + CHINA_OFFSET_MS) / DAY) * DAY - CHINA_OFFSET_MS;
}

export function scriptDay(options: ScriptDayOptions): ScriptedDay {
  const startsAt = chinaMidnight(options.day);
  const rand = mulberry32(options.seed ?? 7);
  const between = (min: number, max: number) => min + Math.floor(rand() * (max - min + 1));
  const plannedCount = options.plannedToday ?? 16;
  const background = backgroundRooms({
    count: (options.rooms ?? 300) - plannedCount,
    startsAt,
    seed: options.seed ?? 7,
  });
  const events: DayEvent[] = [];
  const planned: SimRoom[] = [];
  for (let i = 0; i < plannedCount; i++) {
    // Shows between 08:00 and 22:00 China time, one to three hours long.
    const start = startsAt + between(8 * 60, 22 * 60) * MINUTE;
    const room = scheduledRoom(FIRST_DAY_ROOM_ID + i, start, between(60, 180) * MINUTE);
    planned.push(room);
    const early = i < (options.earlyStarts ?? 2);
    const endsEarly = i >= plannedCount - (options.earlyEnds ?? 2);
    events.push(
      ...showEvents(room, {
        startShiftMs: early ? -between(1, 10) * MINUTE : between(0, 15) * MINUTE,
        endShiftMs: endsEarly ? -between(45, 75) * MINUTE : between(-30, 30) * MINUTE,
        replayDelayMs: between(5, 15) * MINUTE,
        eventClass: 'planned',
      }),
    );
  }
  events.push(...banEvents(background, options.bans ?? 2, { startsAt, between }));
  events.push(...createdEvents(options.createdToday ?? 8, { startsAt, between }));
  events.sort((a, b) => a.at - b.at || a.roomid - b.roomid);
  return { startsAt, endsAt: startsAt + DAY, rooms: [...background, ...planned], events };
}

/** Rooms with a past (or a future beyond the day) only: nothing in them changes today. */
function backgroundRooms(options: { count: number; startsAt: number; seed: number }): SimRoom[] {
  const rooms = generateRooms({
    count: options.count,
    seed: options.seed,
    now: Math.floor(options.startsAt / 1000),
  });
  const dayStart = Math.floor(options.startsAt / 1000);
  for (const room of rooms) {
    if (room.live_status === LIVE) {
      // Generated as live at midnight: end it before the day, so the script owns every change.
      room.live_status = ENDED;
      room.end_time = Math.min(room.end_time, dayStart - 60);
      room.start_time = Math.min(room.start_time, room.end_time - 1800);
    } else if (room.live_status === NOT_STARTED && room.start_time < dayStart + 86_400) {
      room.start_time += 2 * 86_400;
      room.end_time += 2 * 86_400;
    }
  }
  return rooms;
}

function scheduledRoom(roomid: number, startMs: number, durationMs: number): SimRoom {
  return makeRoom({
    roomid,
    name: `今日直播 #${roomid}`,
    live_status: NOT_STARTED,
    start_time: Math.floor(startMs / 1000),
    end_time: Math.floor((startMs + durationMs) / 1000),
    replays: [],
  });
}

/** A show's start, end and replay, shifted from its planned times. */
function showEvents(
  room: SimRoom,
  options: {
    startShiftMs: number;
    endShiftMs: number;
    replayDelayMs: number;
    eventClass: 'planned' | 'new';
  },
): DayEvent[] {
  const startAt = room.start_time * 1000 + options.startShiftMs;
  const endAt = Math.max(startAt + 10 * MINUTE, room.end_time * 1000 + options.endShiftMs);
  const endClass =
    Math.abs(endAt - room.end_time * 1000) <= END_PLANNED_WITHIN_MS ? 'planned' : 'unplanned';
  const replayAt = endAt + options.replayDelayMs;
  const replay = {
    create_time: formatUtcZ(Math.floor(replayAt / 1000)),
    expire_time: formatUtcZ(Math.floor(replayAt / 1000) + 365 * 86_400),
    media_url: `https://vod.sim.example/day/${room.roomid}/f0.mp4`,
  };
  const roomid = room.roomid;
  return [
    { at: startAt, roomid, kind: 'start', class: options.eventClass, patch: { live_status: LIVE } },
    { at: endAt, roomid, kind: 'end', class: endClass, patch: { live_status: ENDED } },
    { at: replayAt, roomid, kind: 'replays', class: 'replays', patch: { replays: [replay] } },
  ];
}

/** Bans rooms that would otherwise not change today (their start is days away). */
function banEvents(
  background: readonly SimRoom[],
  count: number,
  helpers: { startsAt: number; between: (min: number, max: number) => number },
): DayEvent[] {
  const candidates = background.filter((room) => room.live_status === NOT_STARTED);
  return candidates.slice(0, count).map((room) => ({
    at: helpers.startsAt + helpers.between(9 * 60, 21 * 60) * MINUTE,
    roomid: room.roomid,
    kind: 'ban' as const,
    class: 'unplanned' as const,
    patch: { live_status: BANNED },
  }));
}

/** Rooms created during the day, starting 20 minutes to 4 hours after they appear. */
function createdEvents(
  count: number,
  helpers: { startsAt: number; between: (min: number, max: number) => number },
): DayEvent[] {
  const { startsAt, between } = helpers;
  const events: DayEvent[] = [];
  for (let i = 0; i < count; i++) {
    const createdAt = startsAt + between(7 * 60, 19 * 60) * MINUTE;
    const room = scheduledRoom(
      FIRST_DAY_ROOM_ID + 1_000 + i,
      createdAt + between(20, 240) * MINUTE,
      between(60, 120) * MINUTE,
    );
    events.push({ at: createdAt, roomid: room.roomid, kind: 'create', class: 'new', patch: room });
    events.push(
      ...showEvents(room, {
        startShiftMs: between(0, 10) * MINUTE,
        endShiftMs: between(-15, 15) * MINUTE,
        replayDelayMs: between(5, 15) * MINUTE,
        eventClass: 'new',
      }),
    );
  }
  return events;
}

/** What `DayPlayer` drives: the simulator's room API (a running simulator satisfies it). */
export interface DayTarget {
  addRoom(room: SimRoom): void;
  updateRoom(roomid: number, patch: Partial<SimRoom>): void;
}

export interface DayPlayer {
  /** Applies every event due by `at` (epoch ms) not applied yet; answers them in order. */
  advanceTo(at: number): DayEvent[];
  /** The instant of the next event not applied yet, or null at the end of the script. */
  nextEventAt(): number | null;
}

export function createDayPlayer(target: DayTarget, day: ScriptedDay): DayPlayer {
  let next = 0;
  return {
    advanceTo(at) {
      const applied: DayEvent[] = [];
      while (next < day.events.length && day.events[next]!.at <= at) {
        const event = day.events[next]!;
        if (event.kind === 'create') target.addRoom(event.patch as SimRoom);
        else target.updateRoom(event.roomid, event.patch);
        applied.push(event);
        next += 1;
      }
      return applied;
    },
    nextEventAt: () => day.events[next]?.at ?? null,
  };
}
