import { describe, expect, it } from 'vitest';

import { createDayPlayer, scriptDay, type DayEvent } from '../wechat-sim/sim.day.js';
import type { SimRoom } from '../wechat-sim/sim.rooms.js';
import { planReads, type TrackedRoom } from './freshness.planner.js';
import type { FreshnessSettings } from './freshness.types.js';

/**
 * The planner over a whole scripted China day on a virtual clock, with an ideal reader: every read
 * answers at once and exactly what WeChat holds at that instant. What this checks is the planner's
 * own arithmetic (budget kept, every change seen, intervals respected); the service against the
 * simulator over HTTP is what `npm run bench:freshness` measures.
 */

const settings: FreshnessSettings = {
  targetSeconds: 60,
  fullSyncMinMinutes: 5,
  fullSyncMaxMinutes: 60,
  quotaReserve: 50,
  replayRetryMinutes: 30,
};
const PAGE_ROWS = 50;
const STEP_MS = 10_000;
const LIVE = 101;
const ENDED = 103;

interface Mirror {
  liveStatus: number;
  startTime: number;
  endTime: number;
  position: number | null;
  confirmedAt: number;
  awaitingReplays: boolean;
  replaysCheckedAt: number | null;
  changedAt: number;
}

interface DayRun {
  /** Calls of each read the plan ran, with the budget left when it ran. */
  reads: Array<{ at: number; kind: string; calls: number; leftBefore: number }>;
  seen: Map<DayEvent, number>;
  events: DayEvent[];
  spent: number;
}

/** Runs the planner from midnight to midnight over the scripted day, `usedElsewhere` spent first. */
function runDay(quota: { limit: number; usedElsewhere: number }): DayRun {
  const day = scriptDay({ day: Date.parse('2026-12-01T04:00:00Z'), seed: 7 });
  const wechat = new Map<number, SimRoom>(day.rooms.map((room) => [room.roomid, { ...room }]));
  const player = createDayPlayer(
    {
      addRoom: (room) => wechat.set(room.roomid, { ...room }),
      updateRoom: (roomid, patch) => Object.assign(wechat.get(roomid)!, patch),
    },
    day,
  );
  const listed = () =>
    [...wechat.values()].sort((a, b) => b.start_time - a.start_time || b.roomid - a.roomid);
  const hasReplays = (room: SimRoom) => Array.isArray(room.replays) && room.replays.length > 0;
  const mirror = new Map<number, Mirror>();
  const confirm = (room: SimRoom, position: number, at: number) => {
    const before = mirror.get(room.roomid);
    mirror.set(room.roomid, {
      liveStatus: room.live_status,
      startTime: room.start_time * 1000,
      endTime: room.end_time * 1000,
      position,
      confirmedAt: at,
      // Yesterday's ended rooms were given up on or have their replays: only today's shows wait.
      awaitingReplays:
        before === undefined
          ? false
          : before.awaitingReplays ||
            (room.live_status === ENDED && before.liveStatus !== ENDED && room.close_replay === 0),
      replaysCheckedAt: before?.replaysCheckedAt ?? null,
      changedAt:
        before === undefined || before.liveStatus !== room.live_status ? at : before.changedAt,
    });
  };
  listed().forEach((room, position) => confirm(room, position, day.startsAt));
  let used = quota.usedElsewhere;
  let lastFullSyncAt = day.startsAt;
  let listTotal = wechat.size;
  let listDrifted = false;
  const run: DayRun = { reads: [], seen: new Map(), events: day.events, spent: 0 };
  const pending: DayEvent[] = [];

  for (let now = day.startsAt; now < day.endsAt; now += STEP_MS) {
    pending.push(...player.advanceTo(now));
    // What the driver's query loads: live, not started, or waiting for replays.
    const watched = [...mirror.entries()].filter(
      ([, room]) => room.liveStatus === LIVE || room.liveStatus === 102 || room.awaitingReplays,
    );
    const rooms: TrackedRoom[] = watched.map(([roomId, room]) => ({
      roomId,
      liveStatus: room.liveStatus,
      plannedStart: room.startTime,
      plannedEnd: room.endTime,
      position: room.position,
      confirmedAt: room.confirmedAt,
      awaitingReplays: room.awaitingReplays,
      replaysCheckedAt: room.replaysCheckedAt,
      changedAt: room.changedAt,
    }));
    const plan = planReads({
      now,
      quota: { day: '2026-12-01', limit: quota.limit, used, exhausted: used >= quota.limit },
      rooms,
      list: { total: listTotal, pageRows: PAGE_ROWS },
      lastFullSyncAt,
      listDrifted,
      settings,
    });
    for (const read of plan.due) {
      run.reads.push({ at: now, kind: read.kind, calls: read.calls, leftBefore: plan.budget.left });
      used += read.calls;
      run.spent += read.calls;
      const list = listed();
      if (read.kind === 'full') {
        list.forEach((room, position) => confirm(room, position, now));
        lastFullSyncAt = now;
        listTotal = list.length;
        listDrifted = false;
      } else if (read.kind === 'targeted') {
        if (list.length !== listTotal) listDrifted = true;
        for (const page of read.pages) {
          list
            .slice(page * PAGE_ROWS, (page + 1) * PAGE_ROWS)
            .forEach((room, i) => confirm(room, page * PAGE_ROWS + i, now));
        }
      } else {
        for (const roomId of read.roomIds) {
          const stored = mirror.get(roomId)!;
          stored.replaysCheckedAt = now;
          stored.awaitingReplays = !hasReplays(wechat.get(roomId)!);
        }
      }
    }
    for (const event of pending) {
      if (run.seen.has(event)) continue;
      const stored = mirror.get(event.roomid);
      const visible =
        event.kind === 'create'
          ? stored !== undefined
          : event.kind === 'start'
            ? stored !== undefined && stored.liveStatus !== 102
            : event.kind === 'replays'
              ? stored !== undefined && !stored.awaitingReplays && stored.liveStatus === ENDED
              : stored?.liveStatus === event.patch.live_status;
      if (visible) run.seen.set(event, now);
    }
  }
  return run;
}

function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (sorted.length - 1) * 0.95;
  const low = Math.floor(rank);
  return sorted[low]! + (sorted[Math.ceil(rank)]! - sorted[low]!) * (rank - low);
}

function lagsOf(run: DayRun, keep: (event: DayEvent) => boolean): number[] {
  return run.events
    .filter(keep)
    .filter((event) => run.seen.has(event))
    .map((event) => (run.seen.get(event)! - event.at) / 1000);
}

describe('the planner over a scripted day (ideal reads)', () => {
  it('keeps within a tight day: never more than what is left after other systems and the reserve', () => {
    const run = runDay({ limit: 500, usedElsewhere: 100 });
    expect(run.spent).toBeLessThanOrEqual(500 - 100 - settings.quotaReserve);
    for (const read of run.reads) expect(read.calls).toBeLessThanOrEqual(read.leftBefore);
    // Starts first: a planned start is seen within a couple of minutes even on this budget.
    const starts = lagsOf(run, (event) => event.kind === 'start' && event.class === 'planned');
    expect(starts).toHaveLength(16);
    expect(p95(starts)).toBeLessThanOrEqual(180);
    // Full syncs keep running hourly on half the budget: bans and new rooms within the hour.
    const fullSyncs = run.reads.filter((read) => read.kind === 'full').map((read) => read.at);
    const gaps = fullSyncs.slice(1).map((at, i) => at - fullSyncs[i]!);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(75 * 60_000);
  });

  it('on a roomy day sees every planned change within the target and syncs fully every few minutes', () => {
    const run = runDay({ limit: 10_000, usedElsewhere: 0 });
    const planned = lagsOf(
      run,
      (event) => (event.kind === 'start' || event.kind === 'end') && event.class === 'planned',
    );
    expect(planned.length).toBeGreaterThan(16);
    expect(p95(planned)).toBeLessThanOrEqual(settings.targetSeconds);
    const fullSyncs = run.reads.filter((read) => read.kind === 'full').map((read) => read.at);
    const gaps = fullSyncs.slice(1).map((at, i) => at - fullSyncs[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(settings.fullSyncMinMinutes * 60_000);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(10 * 60_000);
    const newRooms = lagsOf(run, (event) => event.kind === 'create');
    expect(newRooms).toHaveLength(8);
    expect(Math.max(...newRooms)).toBeLessThanOrEqual(10 * 60);
  });
});
