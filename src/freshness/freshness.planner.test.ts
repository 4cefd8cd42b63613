import { describe, expect, it } from 'vitest';

import {
  END_LEAD_MS,
  LIVE_INTERVAL_MS,
  START_GIVE_UP_MS,
  START_LEAD_MS,
  nextChinaMidnight,
  planReads,
  type PlannerInput,
  type TrackedRoom,
} from './freshness.planner.js';
import type { FreshnessSettings } from './freshness.types.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** 2026-12-01 00:00 China time. */
const MIDNIGHT = Date.parse('2026-11-30T16:00:00Z');
const settings: FreshnessSettings = {
  targetSeconds: 60,
  fullSyncMinMinutes: 5,
  fullSyncMaxMinutes: 60,
  quotaReserve: 50,
  replayRetryMinutes: 30,
};

function room(overrides: Partial<TrackedRoom> & { roomId: number }): TrackedRoom {
  return {
    liveStatus: 102,
    plannedStart: MIDNIGHT + 20 * HOUR,
    plannedEnd: MIDNIGHT + 22 * HOUR,
    position: 10,
    confirmedAt: null,
    awaitingReplays: false,
    replaysCheckedAt: null,
    changedAt: MIDNIGHT,
    ...overrides,
  };
}

function input(overrides: Partial<PlannerInput> = {}): PlannerInput {
  const now = overrides.now ?? MIDNIGHT + 12 * HOUR;
  return {
    now,
    quota: { day: '2026-12-01', limit: 10_000, used: 0, exhausted: false },
    rooms: [],
    list: { total: 300, pageRows: 50 },
    // A full sync just ran: only hot rooms are due.
    lastFullSyncAt: now - MINUTE,
    listDrifted: false,
    settings,
    ...overrides,
  };
}

describe('planReads: which rooms are hot', () => {
  const start = MIDNIGHT + 12 * HOUR;

  it('watches a room from START_LEAD_MS before its planned start until it is overdue by the give-up time', () => {
    const at = (now: number) =>
      planReads(
        input({
          now,
          rooms: [room({ roomId: 1, plannedStart: start, confirmedAt: now - MINUTE })],
        }),
      ).hotRooms.map((hot) => hot.reason);
    expect(at(start - START_LEAD_MS - MINUTE)).toEqual([]);
    expect(at(start - START_LEAD_MS + MINUTE)).toEqual(['starting']);
    expect(at(start + START_GIVE_UP_MS - MINUTE)).toEqual(['starting']);
    expect(at(start + START_GIVE_UP_MS + MINUTE)).toEqual([]);
  });

  it('reads a live room slowly, and at the target interval around its planned end', () => {
    const end = start + 2 * HOUR;
    const hot = (now: number) =>
      planReads(
        input({
          now,
          rooms: [
            room({
              roomId: 1,
              liveStatus: 101,
              plannedStart: start,
              plannedEnd: end,
              confirmedAt: now,
            }),
          ],
        }),
      ).hotRooms[0];
    const midShow = hot(start + HOUR)!;
    expect(midShow.reason).toBe('live');
    expect(midShow.dueAt - (start + HOUR)).toBe(LIVE_INTERVAL_MS);
    const nearEnd = hot(end - END_LEAD_MS + MINUTE)!;
    expect(nearEnd.reason).toBe('ending');
    expect(nearEnd.dueAt - (end - END_LEAD_MS + MINUTE)).toBe(settings.targetSeconds * 1000);
  });

  it('leaves a room still live hours after its planned end to full syncs', () => {
    const end = start - 7 * HOUR;
    const plan = planReads(
      input({
        now: start,
        rooms: [room({ roomId: 1, liveStatus: 105, plannedEnd: end, confirmedAt: start - HOUR })],
      }),
    );
    expect(plan.hotRooms).toEqual([]);
  });

  it('asks an ended room for its replays at the retry interval', () => {
    const now = start;
    const plan = planReads(
      input({
        now,
        rooms: [
          room({
            roomId: 1,
            liveStatus: 103,
            awaitingReplays: true,
            replaysCheckedAt: now - 31 * MINUTE,
          }),
          room({
            roomId: 2,
            liveStatus: 103,
            awaitingReplays: true,
            replaysCheckedAt: now - 10 * MINUTE,
          }),
          room({ roomId: 3, liveStatus: 103, awaitingReplays: false }),
        ],
      }),
    );
    expect(plan.due).toEqual([
      expect.objectContaining({ kind: 'replays', roomIds: [1], calls: 1 }),
    ]);
    expect(plan.hotRooms.map((hot) => hot.roomId)).toEqual([1, 2]);
    expect(plan.next.find((read) => read.kind === 'replays')).toMatchObject({
      roomIds: [2],
      at: now + 20 * MINUTE,
    });
  });
});

describe('planReads: what is read now', () => {
  const now = MIDNIGHT + 12 * HOUR;
  const starting = (roomId: number, position: number, confirmedAgo: number) =>
    room({ roomId, position, plannedStart: now + MINUTE, confirmedAt: now - confirmedAgo });

  it('reads due rooms by page: rooms on one page share a call, another page is another call', () => {
    const plan = planReads(
      input({
        now,
        rooms: [
          starting(1, 3, 2 * MINUTE),
          starting(2, 40, 2 * MINUTE),
          starting(3, 120, 2 * MINUTE),
        ],
      }),
    );
    expect(plan.due).toEqual([
      expect.objectContaining({ kind: 'targeted', roomIds: [1, 2, 3], pages: [0, 2], calls: 2 }),
    ]);
  });

  it('leaves a room read within the target interval for later', () => {
    const plan = planReads(input({ now, rooms: [starting(1, 3, 20_000)] }));
    expect(plan.due).toEqual([]);
    expect(plan.next[0]).toMatchObject({ kind: 'targeted', roomIds: [1], at: now + 40_000 });
  });

  it('runs a full sync first when there has been none, and lets it read everything', () => {
    const plan = planReads(
      input({ now, list: null, lastFullSyncAt: null, rooms: [starting(1, 3, 2 * MINUTE)] }),
    );
    expect(plan.due).toEqual([
      expect.objectContaining({ kind: 'full', reason: 'no full read yet' }),
    ]);
  });

  it('runs a full sync at its interval, and after the minimum once a read saw the list change', () => {
    const regular = planReads(input({ now, lastFullSyncAt: now - 10 * MINUTE }));
    expect(regular.intervals.fullSyncSeconds).toBe(settings.fullSyncMinMinutes * 60);
    expect(regular.due.map((read) => read.kind)).toEqual(['full']);

    const tight = input({
      now,
      quota: { day: '2026-12-01', limit: 500, used: 100, exhausted: false },
      lastFullSyncAt: now - 10 * MINUTE,
    });
    expect(planReads(tight).due).toEqual([]);
    expect(planReads({ ...tight, listDrifted: true }).due).toEqual([
      expect.objectContaining({
        kind: 'full',
        calls: 6,
        reason: 'the list changed since the last full read',
      }),
    ]);
    expect(
      planReads({ ...tight, listDrifted: true, lastFullSyncAt: now - 4 * MINUTE }).due,
    ).toEqual([]);
  });

  it('sends a room the last full read did not place to a full sync', () => {
    const plan = planReads(
      input({
        now,
        lastFullSyncAt: now - 6 * MINUTE,
        rooms: [{ ...starting(1, 0, 2 * MINUTE), position: null }],
      }),
    );
    expect(plan.due).toEqual([
      expect.objectContaining({ kind: 'full', reason: 'a due room is not in the last full read' }),
    ]);
  });
});

describe('planReads: the budget', () => {
  const now = MIDNIGHT + 12 * HOUR;
  const showsToday = Array.from({ length: 12 }, (_, i) =>
    room({
      roomId: i + 1,
      position: i,
      plannedStart: now + (i + 1) * 50 * MINUTE,
      plannedEnd: now + (i + 3) * 50 * MINUTE,
      confirmedAt: now - MINUTE,
    }),
  );

  it('spends what the day has left after the reserve, counting calls other systems made', () => {
    const plan = planReads(
      input({ now, quota: { day: '2026-12-01', limit: 500, used: 180, exhausted: false } }),
    );
    expect(plan.budget).toMatchObject({ limit: 500, used: 180, reserve: 50, left: 270 });
    expect(plan.budget.endsAt).toBe(MIDNIGHT + 24 * HOUR);
  });

  it('keeps the target intervals when the budget allows, and stretches them when it does not', () => {
    const roomy = planReads(input({ now, rooms: showsToday }));
    expect(roomy.intervals).toMatchObject({
      startingSeconds: 60,
      endingSeconds: 60,
      liveSeconds: 600,
    });
    const at = (used: number) =>
      planReads(
        input({
          now,
          rooms: showsToday,
          quota: { day: '2026-12-01', limit: 500, used, exhausted: false },
        }),
      ).intervals;
    // Short: ends slow to the live pace first, starts stay near the target.
    expect(at(150)).toMatchObject({ endingSeconds: 600, fullSyncSeconds: 3600 });
    expect(at(150).startingSeconds).toBeLessThan(120);
    // Shorter: starts slow down too, never below their slow pace before ends do.
    expect(at(350).startingSeconds).toBe(600);
    expect(at(350).endingSeconds).toBeGreaterThan(600);
    expect(at(350).fullSyncSeconds).toBeGreaterThan(settings.fullSyncMaxMinutes * 60);
  });

  it('stretches at once when WeChat reports more calls spent than the ledger had (another system)', () => {
    const before = planReads(
      input({
        now,
        rooms: showsToday,
        quota: { day: '2026-12-01', limit: 500, used: 150, exhausted: false },
      }),
    );
    const cut = planReads(
      input({
        now,
        rooms: showsToday,
        quota: { day: '2026-12-01', limit: 500, used: 440, exhausted: false },
      }),
    );
    expect(cut.budget.left).toBe(10);
    expect(cut.intervals.startingSeconds).toBeGreaterThan(before.intervals.startingSeconds);
    expect(cut.intervals.fullSyncSeconds).toBeGreaterThan(before.intervals.fullSyncSeconds);
  });

  it('never plans a read it cannot pay for: pages beyond what is left wait, skipped', () => {
    const plan = planReads(
      input({
        now,
        // Never confirmed, each on a page of its own: due at once.
        rooms: Array.from({ length: 40 }, (_, i) =>
          room({ roomId: i + 1, position: i * 50, plannedStart: now, confirmedAt: null }),
        ),
        list: { total: 2_000, pageRows: 50 },
        quota: { day: '2026-12-01', limit: 500, used: 420, exhausted: false },
      }),
    );
    // Thirty left, two of them kept for what a read may add (a wider look, replays).
    expect(plan.budget.left).toBe(30);
    expect(plan.due).toEqual([expect.objectContaining({ kind: 'targeted', calls: 28 })]);
    expect(plan.skipped).toEqual([expect.objectContaining({ kind: 'targeted', calls: 12 })]);
    expect(plan.due[0]!.roomIds).toEqual(Array.from({ length: 28 }, (_, i) => i + 1));
  });

  it('plans no read once the day is spent, and puts the next ones after midnight', () => {
    const plan = planReads(
      input({
        now,
        lastFullSyncAt: now - HOUR,
        rooms: [
          room({ roomId: 1, position: 0, plannedStart: now, confirmedAt: now - 10 * MINUTE }),
        ],
        quota: { day: '2026-12-01', limit: 500, used: 120, exhausted: true },
      }),
    );
    expect(plan.budget.left).toBe(0);
    expect(plan.due).toEqual([]);
    const midnight = MIDNIGHT + 24 * HOUR;
    expect(plan.next.length).toBeGreaterThan(0);
    for (const read of plan.next) expect(read.at).toBe(midnight);
  });

  it('starts over at China midnight: a new day, a new budget, spread to the next midnight', () => {
    const lastMinute = MIDNIGHT + 24 * HOUR - 30_000;
    const late = planReads(
      input({
        now: lastMinute,
        quota: { day: '2026-12-01', limit: 500, used: 450, exhausted: false },
      }),
    );
    expect(late.budget).toMatchObject({ left: 0, endsAt: MIDNIGHT + 24 * HOUR });
    const early = planReads(
      input({
        now: MIDNIGHT + 24 * HOUR + 30_000,
        quota: { day: '2026-12-02', limit: 500, used: 0, exhausted: false },
      }),
    );
    expect(early.budget).toMatchObject({
      day: '2026-12-02',
      left: 450,
      endsAt: MIDNIGHT + 48 * HOUR,
    });
    expect(nextChinaMidnight(MIDNIGHT)).toBe(MIDNIGHT + 24 * HOUR);
    expect(nextChinaMidnight(MIDNIGHT - 1)).toBe(MIDNIGHT);
  });
});
