import { REPLAYS_READY_AFTER_END_MS } from '../sync/replay.collector.js';
import {
  HotReason,
  ReadKind,
  type FreshnessBudget,
  type FreshnessIntervals,
  type FreshnessSettings,
  type HotRoom,
  type PlannedRead,
} from './freshness.types.js';

/**
 * The adaptive planner: given what is stored about the rooms, the day's quota and the clock, it
 * says which reads to run now and when the next ones come. Pure: the driver gathers the input and
 * runs the reads, so the same input always gives the same plan (a restarted or failed-over
 * instance plans exactly as the old one would), and tests run whole days on a virtual clock.
 *
 * WeChat tells nobody when a room starts or ends, but every room carries its planned start and
 * end. So calls go where a change is due: a room about to start is read every
 * `targetSeconds`, a live room slowly until its planned end nears, an ended room asks for its
 * replays at the retry interval; full syncs (the only reads that find new rooms, bans and
 * deletions) run at least hourly as far as half the budget goes, and get what is left. The day's
 * budget is shared out by forecasting those windows to the next China midnight; when it is short,
 * intervals stretch in priority order: starts last, then ends and live rooms, then replays.
 */

/** Anchors may open a room before its planned start (up to ten minutes, observed and scripted). */
export const START_LEAD_MS = 10 * 60_000;
/** A room this long overdue is left to full syncs: the show was most likely cancelled. */
export const START_GIVE_UP_MS = 3 * 60 * 60_000;
/** From this long before its planned end (shows end within half an hour of plan), a live room is read at the target interval... */
export const END_LEAD_MS = 30 * 60_000;
/** ...until this long after it; a show running later than that is read at the live pace again. */
export const END_TRAIL_MS = 30 * 60_000;
/** A live (or paused) room this long past its planned end was left open: full syncs watch it. */
export const LIVE_GIVE_UP_MS = 6 * 60 * 60_000;
/** How often a live room is read away from its planned end: it rarely ends early. */
export const LIVE_INTERVAL_MS = 10 * 60_000;
/** A show within this long of a time makes it a show time (full syncs at their normal pace). */
const SHOW_HOURS_MARGIN_MS = 1 * 60 * 60_000;
/** Away from every show, full syncs are this many times sparser. */
const QUIET_HOURS_FACTOR = 6;
/** The most of the day's budget kept for full syncs at FULL_SYNC_MAX_MINUTES before hot reads. */
const FULL_SYNC_FLOOR_SHARE = 0.5;
/** For the forecast only: how late a show usually starts, and how many replay calls an end costs. */
const FORECAST_LATE_START_MS = 10 * 60_000;
const FORECAST_END_TRAIL_MS = 15 * 60_000;
const FORECAST_REPLAY_CALLS = 1;
const FORECAST_STEP_MS = 60_000;
const CHINA_OFFSET_MS = 8 * 60 * 60_000;
const DAY_MS = 24 * 60 * 60_000;
/**
 * Calls a read may spend beyond its price: a targeted read that looks further for a moved room,
 * the replays a full sync asks for. Kept free so the plan never eats into the reserve.
 */
const UNPLANNED_CALLS = 2;
/** Upcoming reads listed for admins. */
const NEXT_READS_SHOWN = 8;

const LIVE = 101;
const NOT_STARTED = 102;
/** Paused (105) may resume or end at any time: read like a live room. */
const PAUSED = 105;

/** What the planner knows of one room worth watching (live, not started, or waiting for replays). */
export interface TrackedRoom {
  roomId: number;
  liveStatus: number;
  plannedStart: number;
  plannedEnd: number;
  /** Row offset in WeChat's list at the last read; null: only a full sync can read it. */
  position: number | null;
  /** When WeChat last confirmed the room's status (null: never). */
  confirmedAt: number | null;
  /** Ended, replays allowed, none stored yet, not given up on. */
  awaitingReplays: boolean;
  replaysCheckedAt: number | null;
  /** When the stored room last changed (for an ended room: about when its end was seen). */
  changedAt: number;
}

export interface PlannerInput {
  now: number;
  /** The quota ledger of today (WeChat's own count included). */
  quota: { day: string; limit: number; used: number; exhausted: boolean };
  rooms: readonly TrackedRoom[];
  /** What the last full read saw; null before any full sync (then one is due at once). */
  list: { total: number; pageRows: number } | null;
  lastFullSyncAt: number | null;
  /** A targeted read saw the total move: rooms were created or removed since the last full read. */
  listDrifted: boolean;
  settings: FreshnessSettings;
}

export interface FreshnessPlan {
  now: number;
  budget: FreshnessBudget;
  intervals: FreshnessIntervals;
  /** Reads to run now, in priority order. */
  due: PlannedRead[];
  /** Reads due now that today's budget does not allow. */
  skipped: PlannedRead[];
  /** Reads coming later, soonest first. */
  next: PlannedRead[];
  hotRooms: HotRoom[];
}

/** The next China midnight after `at`: when the day's quota starts over. */
export function nextChinaMidnight(at: number): number {
  return Math.floor((at + CHINA_OFFSET_MS) / DAY_MS) * DAY_MS - CHINA_OFFSET_MS + DAY_MS;
}

export function planReads(input: PlannerInput): FreshnessPlan {
  const budget = budgetOf(input);
  const pages = pageCounter(input.list);
  const intervals = shareBudget(input, budget, pages);
  const hotRooms = hotRoomsAt(input, intervals, budget.endsAt);
  const { due, skipped } = dueReads(input, budget, intervals, hotRooms, pages);
  return {
    now: input.now,
    budget,
    intervals,
    due,
    skipped,
    next: upcomingReads(input, intervals, hotRooms, pages),
    hotRooms,
  };
}

function budgetOf(input: PlannerInput): FreshnessBudget {
  const { quota, settings, now } = input;
  const left = quota.exhausted ? 0 : Math.max(0, quota.limit - quota.used - settings.quotaReserve);
  return {
    day: quota.day,
    limit: quota.limit,
    used: quota.used,
    reserve: settings.quotaReserve,
    left,
    endsAt: nextChinaMidnight(now),
  };
}

interface PageCounter {
  /** Calls a full sync costs: the list's pages (one more when the list grew since). */
  fullSyncCalls: number;
  /** The page a room is on; rooms without a known position read alone (they cost a full sync). */
  pageOf(room: TrackedRoom): number | null;
}

function pageCounter(list: PlannerInput['list']): PageCounter {
  const rows = Math.max(1, list?.pageRows ?? 1);
  return {
    fullSyncCalls: list ? Math.max(1, Math.ceil(list.total / rows)) : 1,
    pageOf: (room) => (room.position === null ? null : Math.floor(room.position / rows)),
  };
}

/** What a room is doing at `at`, as the forecast expects it, and at which interval it is read. */
type Phase = HotReason | null;

/** The phase of a room at `at` from its stored status and planned times. */
function phaseNow(room: TrackedRoom, at: number): Phase {
  if (room.liveStatus === NOT_STARTED) {
    const opens = room.plannedStart - START_LEAD_MS;
    return at >= opens && at <= room.plannedStart + START_GIVE_UP_MS ? HotReason.STARTING : null;
  }
  if (room.liveStatus === LIVE || room.liveStatus === PAUSED) {
    // A room left open long after its show is only looked at by full syncs.
    if (at > room.plannedEnd + LIVE_GIVE_UP_MS) return null;
    const nearEnd = at >= room.plannedEnd - END_LEAD_MS && at <= room.plannedEnd + END_TRAIL_MS;
    return nearEnd ? HotReason.ENDING : HotReason.LIVE;
  }
  return room.awaitingReplays ? HotReason.REPLAYS : null;
}

/**
 * The phase a room is expected to be in at a future instant `at`, assuming a show starts a little
 * late and ends near its plan: what the budget has to cover for the rest of the day.
 */
function forecastPhase(room: TrackedRoom, at: number, now: number): Phase {
  let start = room.plannedStart;
  if (room.liveStatus === NOT_STARTED) {
    if (now > room.plannedStart + START_GIVE_UP_MS) return null;
    const expectedStart = Math.max(room.plannedStart + FORECAST_LATE_START_MS, now + 10 * 60_000);
    if (at < room.plannedStart - START_LEAD_MS) return null;
    if (at < expectedStart) return HotReason.STARTING;
    start = expectedStart;
  } else if (room.liveStatus !== LIVE && room.liveStatus !== PAUSED) {
    return null;
  }
  const end = Math.max(room.plannedEnd, start);
  if (at >= end - END_LEAD_MS && at <= end + FORECAST_END_TRAIL_MS) return HotReason.ENDING;
  return at < end ? HotReason.LIVE : null;
}

interface Demand {
  starting: number;
  ending: number;
  live: number;
  replays: number;
  /** Milliseconds left today within SHOW_HOURS_MARGIN_MS of a watched show. */
  showMs: number;
  /** Whether `now` itself is such a time. */
  showTimeNow: boolean;
}

/** Whether a show is on, or starts or ended within SHOW_HOURS_MARGIN_MS of `at`. */
function nearAShow(rooms: readonly TrackedRoom[], at: number): boolean {
  return rooms.some(
    (room) =>
      (room.liveStatus === NOT_STARTED || room.liveStatus === LIVE || room.liveStatus === PAUSED) &&
      at >= room.plannedStart - SHOW_HOURS_MARGIN_MS &&
      at <= room.plannedEnd + SHOW_HOURS_MARGIN_MS,
  );
}

/**
 * Calls the rest of the day needs at the unstretched intervals: minute by minute, the pages holding
 * a starting or ending room (read every target interval) and the pages holding only live rooms
 * (read every LIVE_INTERVAL_MS). Rooms on one page share its calls, as the reads will.
 */
function forecastDemand(input: PlannerInput, endsAt: number, pages: PageCounter): Demand {
  const { now, rooms, settings } = input;
  const demand: Demand = {
    starting: 0,
    ending: 0,
    live: 0,
    replays: 0,
    showMs: 0,
    showTimeNow: nearAShow(rooms, now),
  };
  const targetMs = settings.targetSeconds * 1000;
  for (let at = now; at < endsAt; at += FORECAST_STEP_MS) {
    const startingPages = new Set<number | string>();
    const endingPages = new Set<number | string>();
    const livePages = new Set<number | string>();
    for (const room of rooms) {
      const phase = forecastPhase(room, at, now);
      if (phase === null) continue;
      const page = pages.pageOf(room) ?? `room:${room.roomId}`;
      if (phase === HotReason.STARTING) startingPages.add(page);
      else if (phase === HotReason.ENDING) endingPages.add(page);
      else livePages.add(page);
    }
    const step = Math.min(FORECAST_STEP_MS, endsAt - at);
    if (nearAShow(rooms, at)) demand.showMs += step;
    let endingOnly = 0;
    for (const page of endingPages) if (!startingPages.has(page)) endingOnly += 1;
    let liveOnly = 0;
    for (const page of livePages) {
      if (!startingPages.has(page) && !endingPages.has(page)) liveOnly += 1;
    }
    demand.starting += (startingPages.size * step) / targetMs;
    demand.ending += (endingOnly * step) / targetMs;
    demand.live += (liveOnly * step) / LIVE_INTERVAL_MS;
  }
  for (const room of rooms) {
    const showEndsToday =
      (room.liveStatus === LIVE || room.liveStatus === NOT_STARTED) &&
      room.plannedEnd + FORECAST_END_TRAIL_MS < endsAt;
    // A show ending today asks for its replays after; an ended one is already asking.
    if (room.awaitingReplays || showEndsToday) demand.replays += FORECAST_REPLAY_CALLS;
  }
  return demand;
}

/**
 * Shares what is left of the day out, in two tiers. First every class at its slow pace, in
 * priority order, each stretched if the budget does not reach: full syncs every
 * FULL_SYNC_MAX_MINUTES (at most half the budget; sparser away from the day's shows), starting
 * rooms, then live and ending rooms, at LIVE_INTERVAL_MS, and replays at the retry interval. Then
 * what is left speeds starting rooms up towards the target, then ending rooms. Full syncs take
 * the rest, never more often than the minimum interval.
 */
function shareBudget(
  input: PlannerInput,
  budget: FreshnessBudget,
  pages: PageCounter,
): FreshnessIntervals {
  const { settings, now } = input;
  const demand = forecastDemand(input, budget.endsAt, pages);
  const targetMs = settings.targetSeconds * 1000;
  const msLeft = Math.max(FORECAST_STEP_MS, budget.endsAt - now);
  let left = budget.left;
  /** The factor a class's pace slows by so that `needed` calls fit in what is left. */
  const stretch = (needed: number): number => {
    if (needed <= 0) return 1;
    if (left <= 0) return Number.POSITIVE_INFINITY;
    const factor = Math.max(1, needed / left);
    left = Math.max(0, left - needed / factor);
    return factor;
  };
  /** From the slow pace towards the target with what is left: the interval, in ms. */
  const speedUp = (atTarget: number, slowFactor: number): number => {
    // Nothing of the kind to read today: its pace is the target, for the rooms that come.
    if (atTarget <= 0) return targetMs;
    if (slowFactor > 1) return LIVE_INTERVAL_MS * slowFactor;
    const atSlowPace = (atTarget * targetMs) / LIVE_INTERVAL_MS;
    const intervalMs = Math.max(targetMs, (targetMs * atTarget) / (atSlowPace + left));
    left = Math.max(0, left - ((atTarget * targetMs) / intervalMs - atSlowPace));
    return Math.min(LIVE_INTERVAL_MS, intervalMs);
  };

  // Bans, edits and new rooms are seen by full syncs only. Away from the day's shows (at night,
  // as a rule) merchants change little: there they are QUIET_HOURS_FACTOR times sparser.
  const quietMs = Math.max(0, msLeft - demand.showMs);
  const weightedMs = Math.max(FORECAST_STEP_MS, demand.showMs + quietMs / QUIET_HOURS_FACTOR);
  const fullSyncFloor = Math.min(
    left * FULL_SYNC_FLOOR_SHARE,
    (weightedMs / (settings.fullSyncMaxMinutes * 60_000)) * pages.fullSyncCalls,
  );
  left -= fullSyncFloor;
  const startsSlow = stretch((demand.starting * targetMs) / LIVE_INTERVAL_MS);
  const endsSlow = stretch((demand.ending * targetMs) / LIVE_INTERVAL_MS + demand.live);
  const replaysFactor = stretch(demand.replays);
  const startingMs = speedUp(demand.starting, startsSlow);
  const endingMs = speedUp(demand.ending, endsSlow);

  const rest = left + fullSyncFloor;
  const quietNow = demand.showTimeNow ? 1 : QUIET_HOURS_FACTOR;
  const fullSyncMs =
    rest <= 0
      ? Number.POSITIVE_INFINITY
      : Math.max(
          settings.fullSyncMinMinutes * 60_000,
          (weightedMs * pages.fullSyncCalls * quietNow) / rest,
        );
  // An interval longer than the day means "not before the quota starts over at midnight".
  const seconds = (ms: number) => Math.round(Math.min(ms, msLeft) / 1000);
  return {
    startingSeconds: seconds(startingMs),
    endingSeconds: seconds(endingMs),
    liveSeconds: seconds(LIVE_INTERVAL_MS * endsSlow),
    replaysSeconds: seconds(settings.replayRetryMinutes * 60_000 * replaysFactor),
    fullSyncSeconds: seconds(fullSyncMs),
  };
}

function intervalMs(reason: HotReason, intervals: FreshnessIntervals): number {
  const seconds = {
    [HotReason.STARTING]: intervals.startingSeconds,
    [HotReason.ENDING]: intervals.endingSeconds,
    [HotReason.LIVE]: intervals.liveSeconds,
    [HotReason.REPLAYS]: intervals.replaysSeconds,
  }[reason];
  return seconds * 1000;
}

/** Every room with a reason to be read before the next full sync, and when it is due. */
function hotRoomsAt(
  input: PlannerInput,
  intervals: FreshnessIntervals,
  dayEndsAt: number,
): HotRoom[] {
  const hot: HotRoom[] = [];
  for (const room of input.rooms) {
    const reason = phaseNow(room, input.now);
    if (reason === null) continue;
    const wait = intervalMs(reason, intervals);
    // An interval as long as the rest of the day means: not before the quota starts over.
    const dueAt =
      wait >= dayEndsAt - input.now ? dayEndsAt : nextReadAt(room, reason, wait, input.now);
    hot.push({ roomId: room.roomId, reason, dueAt, confirmedAt: room.confirmedAt });
  }
  const priority = Object.values(HotReason);
  return hot.sort(
    (a, b) =>
      priority.indexOf(a.reason) - priority.indexOf(b.reason) ||
      a.dueAt - b.dueAt ||
      a.roomId - b.roomId,
  );
}

/** When a hot room is due: its interval after it was last read (for replays: last asked for). */
function nextReadAt(room: TrackedRoom, reason: HotReason, wait: number, now: number): number {
  if (reason !== HotReason.REPLAYS)
    return room.confirmedAt === null ? now : room.confirmedAt + wait;
  // WeChat makes replays available minutes after the end: the first ask waits for that.
  if (room.replaysCheckedAt === null) return room.changedAt + REPLAYS_READY_AFTER_END_MS;
  return room.replaysCheckedAt + wait;
}

function fullSyncDueAt(input: PlannerInput, intervals: FreshnessIntervals): number {
  if (input.list === null || input.lastFullSyncAt === null) return input.now;
  const dayEndsAt = nextChinaMidnight(input.now);
  const wait = intervals.fullSyncSeconds * 1000;
  const regular = wait >= dayEndsAt - input.now ? dayEndsAt : input.lastFullSyncAt + wait;
  // Rooms came or went since the last full read: find them as soon as the minimum allows, unless
  // calls are short (starts already read less often than the target): then starts come first.
  const drifted = input.lastFullSyncAt + input.settings.fullSyncMinMinutes * 60_000;
  const callsShort = intervals.startingSeconds > input.settings.targetSeconds;
  return input.listDrifted && !callsShort ? Math.min(regular, drifted) : regular;
}

function fullSyncRead(at: number, calls: number, reason: string): PlannedRead {
  return { kind: ReadKind.FULL, at, roomIds: [], pages: [], calls, reason };
}

/**
 * The reads due now. A due full sync reads everything (its replays too), so it is the only read;
 * otherwise the due hot rooms are read by page, starting rooms first, as far as the budget goes.
 */
function dueReads(
  input: PlannerInput,
  budget: FreshnessBudget,
  intervals: FreshnessIntervals,
  hotRooms: readonly HotRoom[],
  pages: PageCounter,
): { due: PlannedRead[]; skipped: PlannedRead[] } {
  const { now } = input;
  const due: PlannedRead[] = [];
  const skipped: PlannedRead[] = [];
  let left = budget.left;
  const byId = new Map(input.rooms.map((room) => [room.roomId, room]));
  const dueNow = hotRooms.filter((hot) => hot.dueAt <= now);
  // A due room the last full read did not place can only be read by a full sync (not too often).
  const minGapPassed =
    input.lastFullSyncAt === null ||
    now - input.lastFullSyncAt >= input.settings.fullSyncMinMinutes * 60_000;
  const unplaceable =
    minGapPassed &&
    dueNow.some(
      (hot) => hot.reason !== HotReason.REPLAYS && pages.pageOf(byId.get(hot.roomId)!) === null,
    );

  if (fullSyncDueAt(input, intervals) <= now || unplaceable) {
    const reason =
      input.lastFullSyncAt === null
        ? 'no full read yet'
        : unplaceable
          ? 'a due room is not in the last full read'
          : input.listDrifted
            ? 'the list changed since the last full read'
            : 'full sync interval';
    const read = fullSyncRead(now, pages.fullSyncCalls, reason);
    if (read.calls + UNPLANNED_CALLS <= left) return { due: [read], skipped };
    skipped.push(read);
  }

  const targeted = targetedRead(now, dueNow, byId, pages, left - UNPLANNED_CALLS);
  if (targeted.read) {
    due.push(targeted.read);
    left -= targeted.read.calls;
  }
  if (targeted.skipped) skipped.push(targeted.skipped);

  const replayRooms = dueNow.filter((hot) => hot.reason === HotReason.REPLAYS);
  const affordable = replayRooms.slice(0, Math.max(0, left));
  if (affordable.length > 0) {
    due.push({
      kind: ReadKind.REPLAYS,
      at: now,
      roomIds: affordable.map((hot) => hot.roomId),
      pages: [],
      calls: affordable.length,
      reason: 'replays retry interval',
    });
  }
  if (affordable.length < replayRooms.length) {
    const rest = replayRooms.slice(affordable.length);
    skipped.push({
      kind: ReadKind.REPLAYS,
      at: now,
      roomIds: rest.map((hot) => hot.roomId),
      pages: [],
      calls: rest.length,
      reason: 'replays retry interval',
    });
  }
  return { due, skipped };
}

/** One targeted read of the pages holding due rooms, in priority order while calls are left. */
function targetedRead(
  now: number,
  dueNow: readonly HotRoom[],
  byId: ReadonlyMap<number, TrackedRoom>,
  pages: PageCounter,
  budgetLeft: number,
): { read: PlannedRead | null; skipped: PlannedRead | null } {
  const takenPages = new Set<number>();
  const taken: HotRoom[] = [];
  const left: HotRoom[] = [];
  const leftPages = new Set<number>();
  for (const hot of dueNow) {
    if (hot.reason === HotReason.REPLAYS) continue;
    const page = pages.pageOf(byId.get(hot.roomId)!);
    if (page === null) continue;
    if (takenPages.has(page) || takenPages.size < budgetLeft) {
      takenPages.add(page);
      taken.push(hot);
    } else {
      left.push(hot);
      leftPages.add(page);
    }
  }
  const read = (rooms: HotRoom[], onPages: Set<number>): PlannedRead | null =>
    rooms.length === 0
      ? null
      : {
          kind: ReadKind.TARGETED,
          at: now,
          roomIds: rooms.map((hot) => hot.roomId),
          pages: [...onPages].sort((a, b) => a - b),
          calls: onPages.size,
          reason: [...new Set(rooms.map((hot) => hot.reason))].join(', '),
        };
  return { read: read(taken, takenPages), skipped: read(left, leftPages) };
}

/** The next reads after now, soonest first: the next full sync and the hot rooms by due time. */
function upcomingReads(
  input: PlannerInput,
  intervals: FreshnessIntervals,
  hotRooms: readonly HotRoom[],
  pages: PageCounter,
): PlannedRead[] {
  const { now } = input;
  const byId = new Map(input.rooms.map((room) => [room.roomId, room]));
  const byTime = new Map<string, HotRoom[]>();
  for (const hot of hotRooms) {
    if (hot.dueAt <= now) continue;
    const kind = hot.reason === HotReason.REPLAYS ? ReadKind.REPLAYS : ReadKind.TARGETED;
    // Reads of rooms due within the same second run together.
    const key = `${kind}:${Math.ceil(hot.dueAt / 1000)}`;
    byTime.set(key, [...(byTime.get(key) ?? []), hot]);
  }
  const next: PlannedRead[] = [...byTime.entries()].map(([key, rooms]) => {
    const kind = key.startsWith(ReadKind.REPLAYS) ? ReadKind.REPLAYS : ReadKind.TARGETED;
    const onPages = new Set<number>();
    if (kind === ReadKind.TARGETED) {
      for (const hot of rooms) {
        const page = pages.pageOf(byId.get(hot.roomId)!);
        if (page !== null) onPages.add(page);
      }
    }
    return {
      kind,
      at: rooms[0]!.dueAt,
      roomIds: rooms.map((hot) => hot.roomId),
      pages: [...onPages].sort((a, b) => a - b),
      calls: kind === ReadKind.REPLAYS ? rooms.length : onPages.size,
      reason: [...new Set(rooms.map((hot) => hot.reason))].join(', '),
    };
  });
  const fullAt = fullSyncDueAt(input, intervals);
  if (fullAt > now && Number.isFinite(fullAt)) {
    next.push(fullSyncRead(fullAt, pages.fullSyncCalls, 'full sync interval'));
  }
  return next.sort((a, b) => a.at - b.at).slice(0, NEXT_READS_SHOWN);
}
