import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startWechatSimulator, type WechatSimulator } from '../src/wechat-sim/sim.server.js';
import { roomsFixture } from './support/fixtures.js';
import { createPrivateMariadb, type PrivateMariadb } from './support/private-mariadb.js';
import { createPrivateRedis, type PrivateRedis } from './support/private-redis.js';
import { waitUntil } from './support/processes.js';
import { ROOM, ROOMS, SYNC_ROOMS, type RoomJson, type SyncReportJson } from './support/queries.js';
import { startServiceProcess, type ServiceProcess } from './support/service-process.js';
import { startTestApp, uniqueAppId } from './support/test-app.js';

type Page = { rooms: { totalCount: number; items: RoomJson[] } };
type SyncAnswer = { syncRooms: SyncReportJson };

/** How long a recovery may take: ioredis retries every 2 s at most, mysql2 connects on demand. */
const RECOVERY_MS = 20_000;

async function expectAvailable(service: ServiceProcess, roomCount: number): Promise<void> {
  const page = await service.gql<Page>(ROOMS, { pageSize: 20 });
  expect(page.errors).toBeUndefined();
  expect(page.data!.rooms.totalCount).toBe(roomCount);
  const room = await service.gql<{ room: RoomJson }>(ROOM, { roomId: 1002 });
  expect(room.errors).toBeUndefined();
  expect(room.data!.room.roomId).toBe(1002);
}

async function expectNotReadyButAlive(service: ServiceProcess, reason: RegExp): Promise<void> {
  expect(service.exitStatus()).toBeNull();
  expect((await service.get('/healthz')).status).toBe(200);
  const ready = await service.get('/readyz');
  expect(ready.status).toBe(503);
  expect((JSON.parse(ready.body) as { reason: string }).reason).toMatch(reason);
}

async function syncSucceedsAgain(service: ServiceProcess): Promise<void> {
  await waitUntil(
    'syncRooms to succeed again',
    async () =>
      (await service.gql<SyncAnswer>(SYNC_ROOMS, {}, { admin: true })).errors === undefined,
    { timeoutMs: RECOVERY_MS, intervalMs: 250 },
  );
}

describe('Redis outages', () => {
  let sim: WechatSimulator;
  let redis: PrivateRedis;
  let service: ServiceProcess | undefined;
  const appId = uniqueAppId();

  beforeAll(async () => {
    sim = await startWechatSimulator({ appid: appId, rooms: roomsFixture(5) });
    // Rooms already mirrored by an earlier (healthy) instance: the public API has data to serve.
    const seeding = await startTestApp({ sharedSim: { sim, appId } });
    expect((await seeding.gql(SYNC_ROOMS, {}, { admin: true })).errors).toBeUndefined();
    await seeding.close();
    redis = await createPrivateRedis({ start: false });
  });

  afterAll(async () => {
    await service?.stop();
    await redis?.close();
    await sim?.close();
  });

  it('serves public reads from MySQL and refuses syncs clearly while Redis is down at start-up', async () => {
    service = await startServiceProcess({
      appId,
      sim,
      redisUrl: redis.url,
      env: { SYNC_LOCK_TTL_SECONDS: '2' },
      waitFor: '/healthz',
    });
    await expectAvailable(service, 5);

    const sync = await service.gql<SyncAnswer>(SYNC_ROOMS, {}, { admin: true });
    expect(sync.data).toBeNull();
    expect(sync.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(sync.errors?.[0]?.message).toMatch(/Redis is unavailable/);
    await expectNotReadyButAlive(service, /Redis/);
  });

  it('recovers without a restart once Redis comes up', async () => {
    await redis.start();
    await syncSucceedsAgain(service!);
    expect((await service!.get('/readyz')).status).toBe(200);
  });

  it('keeps serving reads and refuses syncs clearly when Redis dies mid-run, then recovers', async () => {
    await redis.kill();
    await expectAvailable(service!, 5);

    const sync = await service!.gql<SyncAnswer>(SYNC_ROOMS, {}, { admin: true });
    expect(sync.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(sync.errors?.[0]?.message).toMatch(/Redis is unavailable/);
    await expectNotReadyButAlive(service!, /Redis/);

    await redis.start();
    await syncSucceedsAgain(service!);
    expect((await service!.get('/readyz')).status).toBe(200);
    expect(service!.exitStatus()).toBeNull();
  });
});

describe('MySQL outage', () => {
  let sim: WechatSimulator;
  let mariadb: PrivateMariadb;
  let service: ServiceProcess | undefined;
  const appId = uniqueAppId();

  beforeAll(async () => {
    sim = await startWechatSimulator({ appid: appId, rooms: roomsFixture(5) });
    mariadb = await createPrivateMariadb();
    // The service creates and migrates this database at start-up, as in production.
    service = await startServiceProcess({
      appId,
      sim,
      databaseUrl: mariadb.databaseUrl('wxlive_faults_test'),
    });
    expect((await service.gql(SYNC_ROOMS, {}, { admin: true })).errors).toBeUndefined();
    await expectAvailable(service, 5);
  });

  afterAll(async () => {
    await service?.stop();
    await mariadb?.close();
    await sim?.close();
  });

  it('answers UPSTREAM_UNAVAILABLE and stays up while MySQL is down', async () => {
    await mariadb.kill();
    // A page size never asked before: the read cache cannot answer it, MySQL must.
    const page = await service!.gql<Page>(ROOMS, { pageSize: 7 });
    expect(page.data).toBeNull();
    expect(page.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(page.errors?.[0]?.message).toMatch(/MySQL is unavailable/);

    const room = await service!.gql<{ room: RoomJson | null }>(ROOM, { roomId: 1003 });
    expect(room.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');

    await expectNotReadyButAlive(service!, /MySQL/);
  });

  it('serves again without a restart once MySQL is back on the same port', async () => {
    await mariadb.start();
    await waitUntil(
      'rooms to be served from MySQL again',
      async () => (await service!.gql<Page>(ROOMS, { pageSize: 7 })).errors === undefined,
      { timeoutMs: RECOVERY_MS, intervalMs: 250 },
    );
    const page = await service!.gql<Page>(ROOMS, { pageSize: 7 });
    expect(page.data!.rooms.items.map((room) => room.roomId)).toEqual([
      1004, 1003, 1002, 1001, 1000,
    ]);
    await syncSucceedsAgain(service!);
    expect((await service!.get('/readyz')).status).toBe(200);
    expect(service!.exitStatus()).toBeNull();
  });
});
