import { afterEach, describe, expect, it } from 'vitest';

import { SyncTrigger } from '../src/db/schema.js';
import { readListPositions } from '../src/sync/list-positions.store.js';
import { makeRoom } from '../src/wechat-sim/sim.rooms.js';
import { endedRoom, replaysInBothFormats, roomsFixture } from './support/fixtures.js';
import { SYNC_RUNS } from './support/queries.js';
import { startTestApp, type TestApp } from './support/test-app.js';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const planner = { trigger: SyncTrigger.PLANNER };
/** 120 rooms: three pages of 50, newest start first (room 1119 at row 0, room 1000 at row 119). */
const ROOMS = 120;
const rowOf = (roomId: number) => 1000 + ROOMS - 1 - roomId;

async function syncedApp(): Promise<TestApp> {
  const app = await startTestApp({ sim: { rooms: roomsFixture(ROOMS) } });
  await app.app.services.sync.syncRooms('cli');
  app.sim.resetStats();
  return app;
}

async function statusOf(app: TestApp, roomId: number): Promise<string | undefined> {
  const answer = await app.gql<{ room: { liveStatus: string } | null }>(
    'query Room($roomId: Int!) { room(roomId: $roomId) { liveStatus } }',
    { roomId },
  );
  return answer.data?.room?.liveStatus;
}

async function lastRuns(app: TestApp, limit: number) {
  const answer = await app.gql<{
    syncRuns: Array<{ kind: string; trigger: string; outcome: string; listCalls: number }>;
  }>(SYNC_RUNS.replace('trigger', 'trigger kind'), { limit }, { admin: true });
  return answer.data?.syncRuns ?? [];
}

describe('list positions', () => {
  it('are stored by a full sync: each room at its row in WeChat’s list', async () => {
    t = await syncedApp();
    const positions = await readListPositions(t.app.redis, t.appId, [1119, 1070, 1000, 4242]);
    expect(positions).toMatchObject({ total: ROOMS, pageRows: 50 });
    expect([...positions!.positions]).toEqual([
      [1119, 0],
      [1070, rowOf(1070)],
      [1000, 119],
    ]);
  });
});

describe('refreshRooms', () => {
  it('reads only the page of the wanted room, applies its change, and records a targeted run', async () => {
    t = await syncedApp();
    t.sim.updateRoom(1070, { live_status: 101 });
    const report = await t.app.services.sync.refreshRooms([1070], planner);
    expect(t.sim.stats().list).toBe(1);
    expect(report).toMatchObject({
      kind: 'targeted',
      listCalls: 1,
      roomsUpdated: 1,
      missing: [],
      needsFullSync: false,
      totalSeen: ROOMS,
      knownTotal: ROOMS,
      transitions: [{ roomId: 1070, from: 102, to: 101 }],
    });
    expect(report.roomsRead).toBe(50);
    expect(await statusOf(t, 1070)).toBe('LIVE');
    expect((await lastRuns(t, 1))[0]).toMatchObject({
      kind: 'TARGETED',
      trigger: 'PLANNER',
      outcome: 'SUCCEEDED',
      listCalls: 1,
    });
  });

  it('reads two wanted rooms close together with one call, rooms far apart with one each', async () => {
    t = await syncedApp();
    await t.app.services.sync.refreshRooms([1110, 1090], planner);
    expect(t.sim.stats().list).toBe(1);
    await t.app.services.sync.refreshRooms([1110, 1005], planner);
    expect(t.sim.stats().list).toBe(3);
  });

  it('finds a room pushed down by rooms created since the full sync, and asks for a full sync', async () => {
    t = await syncedApp();
    // Rows 0 and 45 share a window; ten creations push row 45 out of it, to row 55.
    const target = 1000 + ROOMS - 1 - 45;
    const newest = Math.floor(Date.now() / 1000) + 86_400;
    for (let i = 0; i < 10; i++) {
      t.sim.addRoom(
        makeRoom({ roomid: 5000 + i, start_time: newest + i, end_time: newest + i + 60 }),
      );
    }
    t.sim.updateRoom(target, { live_status: 101 });
    const report = await t.app.services.sync.refreshRooms([1119, target], planner);
    expect(report.missing).toEqual([]);
    expect(report.totalSeen).toBe(ROOMS + 10);
    expect(report.needsFullSync).toBe(true);
    expect(t.sim.stats().list).toBe(2);
    expect(await statusOf(t, target)).toBe('LIVE');
    // The new rooms on the rows read are applied too: a targeted read keeps what it read.
    expect(report.roomsAdded).toBe(10);
  });

  it('reports a room gone from its place as missing, archives nothing, and asks for a full sync', async () => {
    t = await syncedApp();
    t.sim.removeRoom(1070);
    const report = await t.app.services.sync.refreshRooms([1070], planner);
    expect(report).toMatchObject({ missing: [1070], needsFullSync: true, roomsArchived: 0 });
    expect(await statusOf(t, 1070)).toBe('NOT_STARTED');
  });

  it('applies nothing when a page fails, and records the targeted run as failed', async () => {
    t = await syncedApp();
    t.sim.updateRoom(1110, { live_status: 101 });
    t.sim.updateRoom(1005, { live_status: 101 });
    // The first window reads; the second is refused.
    t.sim.injectFault({ endpoint: 'list', kind: 'errcode', errcode: 48001, skip: 1 });
    await expect(t.app.services.sync.refreshRooms([1110, 1005], planner)).rejects.toMatchObject({
      errcode: 48001,
    });
    expect(t.sim.stats().list).toBe(2);
    expect(await statusOf(t, 1110)).toBe('NOT_STARTED');
    expect(await statusOf(t, 1005)).toBe('NOT_STARTED');
    expect((await lastRuns(t, 1))[0]).toMatchObject({ kind: 'TARGETED', outcome: 'FAILED' });
  });

  it('leaves pins alone', async () => {
    t = await syncedApp();
    await t.app.services.rooms.pinRoom(1070, true);
    t.sim.updateRoom(1070, { name: 'renamed' });
    await t.app.services.sync.refreshRooms([1070], planner);
    const room = await t.gql<{ room: { name: string; pinned: boolean } }>(
      'query { room(roomId: 1070) { name pinned } }',
    );
    expect(room.data?.room).toEqual({ name: 'renamed', pinned: true });
  });

  it('dates the rooms it read in Room.syncedAt, later than the full sync that placed them', async () => {
    t = await syncedApp();
    // Through the service: the HTTP response cache may answer from up to a few seconds before.
    const syncedAt = async (roomId: number) =>
      (await t!.app.services.rooms.getRoom(roomId))?.syncedAt?.getTime();
    const [read, other] = [await syncedAt(1110), await syncedAt(1005)];
    expect(read).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await t.app.services.sync.refreshRooms([1110], planner);
    expect(await syncedAt(1110)).toBeGreaterThan(read!);
    expect(await syncedAt(1005)).toBe(other);
    const answer = await t.gql<{ room: { syncedAt: string } }>(
      'query { room(roomId: 1005) { syncedAt } }',
    );
    expect(Date.parse(answer.data!.room.syncedAt)).toBe(other);
  });

  it('refuses while a sync runs, like syncRooms', async () => {
    t = await syncedApp();
    await t.app.redis.set(`wxlive:{${t.appId}}:sync:lock`, 'another-instance', 'PX', 10_000);
    await expect(t.app.services.sync.refreshRooms([1070], planner)).rejects.toMatchObject({
      code: 'SYNC_IN_PROGRESS',
    });
    expect(t.sim.stats().list).toBe(0);
  });
});

describe('refreshReplays', () => {
  it('stores the replays of ended rooms and records a replays run', async () => {
    t = await startTestApp({ sim: { rooms: [endedRoom(77, { replays: [] })] } });
    await t.app.services.sync.syncRooms('cli');
    t.sim.setReplays(77, replaysInBothFormats);
    const report = await t.app.services.sync.refreshReplays([77], planner);
    expect(report).toMatchObject({ kind: 'replays', replayCalls: 1, replaysFetched: 2 });
    const room = await t.gql<{ room: { replays: unknown[] } }>(
      'query { room(roomId: 77) { replays { mediaUrl } } }',
    );
    expect(room.data?.room.replays).toHaveLength(2);
    expect((await lastRuns(t, 1))[0]).toMatchObject({ kind: 'REPLAYS', outcome: 'SUCCEEDED' });
  });
});
