import { expect } from 'vitest';

import { ROOMS, SYNC_RUNS, type SyncRunJson } from './queries.js';
import type { TestApp } from './test-app.js';

/**
 * Read-only looks at what a test app stored and spent, to prove what an operation did or, more
 * often, did not do: rows, sync runs, the quota counter and the rooms the API shows.
 */

/** Every column a sync or an admin could write, for every room of the app, in room id order. */
export async function snapshotRows(t: TestApp): Promise<unknown[]> {
  const [rows] = await t.app.db.pool.query(
    `select room_id, name, live_status, start_time, end_time, goods, replays, content_hash, pinned,
            archived_at, replays_checked_at, replays_first_checked_at, updated_at
       from rooms where app_id = ? order by room_id`,
    [t.appId],
  );
  return rows as unknown[];
}

export async function countSyncRuns(t: TestApp): Promise<number> {
  const [rows] = (await t.app.db.pool.query(
    'select count(*) as n from sync_runs where app_id = ?',
    [t.appId],
  )) as unknown as [Array<{ n: number }>];
  return Number(rows[0]!.n);
}

/** Ids of the rooms the public `rooms` query shows, ascending. */
export async function visibleRoomIds(t: TestApp): Promise<number[]> {
  const ids: number[] = [];
  for (let page = 1; ; page += 1) {
    const answer = await t.gql<{
      rooms: { totalCount: number; items: Array<{ roomId: number }> };
    }>(ROOMS, { page, pageSize: 100 });
    expect(answer.errors).toBeUndefined();
    ids.push(...answer.data!.rooms.items.map((room) => room.roomId));
    if (ids.length >= answer.data!.rooms.totalCount || answer.data!.rooms.items.length === 0) {
      return ids.sort((a, b) => a - b);
    }
  }
}

/** Ids of the rooms the simulator (WeChat) lists right now, ascending. */
export const wechatRoomIds = (t: TestApp): number[] =>
  t.sim
    .rooms()
    .map((room) => room.roomid)
    .sort((a, b) => a - b);

/** `used` of the admin `quota` query: the service's own count of today's getliveinfo calls. */
export async function quotaUsed(t: TestApp): Promise<number> {
  const answer = await t.gql<{ quota: { used: number } }>(
    '{ quota { used } }',
    {},
    { admin: true },
  );
  expect(answer.errors).toBeUndefined();
  return answer.data!.quota.used;
}

/**
 * The service's count minus the simulator's, once it settles. A hung call is counted by the
 * simulator only when it finally answers (after the service gave up on it), hence the poll.
 */
export async function expectQuotaGap(t: TestApp, gap: number, timeout = 4_000): Promise<void> {
  await expect
    .poll(async () => (await quotaUsed(t)) - t.sim.quota().used, { timeout, interval: 50 })
    .toBe(gap);
}

export async function latestRun(t: TestApp): Promise<SyncRunJson & Record<string, unknown>> {
  const answer = await t.gql<{ syncRuns: Array<SyncRunJson & Record<string, unknown>> }>(
    SYNC_RUNS,
    { limit: 1 },
    { admin: true },
  );
  expect(answer.errors).toBeUndefined();
  return answer.data!.syncRuns[0]!;
}
