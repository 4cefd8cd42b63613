import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startWechatSimulator, type WechatSimulator } from '../src/wechat-sim/sim.server.js';
import { roomsFixture } from './support/fixtures.js';
import { createPrivateMariadb, type PrivateMariadb } from './support/private-mariadb.js';
import { createPrivateRedis, type PrivateRedis } from './support/private-redis.js';
import { waitUntil } from './support/processes.js';
import {
  PIN_ROOM,
  ROOM,
  ROOMS,
  SYNC_ROOMS,
  SYNC_RUNS,
  type RoomJson,
  type SyncReportJson,
  type SyncRunJson,
} from './support/queries.js';
import { startServiceProcess, type ServiceProcess } from './support/service-process.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { startTestApp, uniqueAppId } from './support/test-app.js';
import { TEST_REDIS_URL } from './support/test-env.js';

type Page = { rooms: { totalCount: number; items: RoomJson[] } };
type SyncAnswer = { syncRooms: SyncReportJson };
type RunsAnswer = { syncRuns: SyncRunJson[] };

/** How long a recovery may take: ioredis retries every 2 s at most, mysql2 connects on demand. */
const RECOVERY_MS = 20_000;

/** For set-up: a sync that must work before the test proper starts. */
async function syncOrThrow(service: {
  gql(
    query: string,
    variables: Record<string, unknown>,
    options: { admin: boolean },
  ): Promise<{ errors?: unknown }>;
}): Promise<void> {
  const answer = await service.gql(SYNC_ROOMS, {}, { admin: true });
  if (answer.errors) throw new Error(`set-up sync failed: ${JSON.stringify(answer.errors)}`);
}

async function expectAvailable(service: ServiceProcess, roomCount: number): Promise<void> {
  const page = await service.gql<Page>(ROOMS, { pageSize: 20 });
  expect(page.errors ?? []).toEqual([]);
  expect(page.data!.rooms.totalCount).toBe(roomCount);
  const room = await service.gql<{ room: RoomJson }>(ROOM, { roomId: 1002 });
  expect(room.errors ?? []).toEqual([]);
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
    await syncOrThrow(seeding);
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
    // Every admin operation is refused the same way, and the pin writes nothing.
    for (const [query, variables] of [
      [PIN_ROOM, { roomId: 1002, pinned: true }],
      [SYNC_RUNS, { limit: 1 }],
      ['{ quota { used } }', {}],
    ] as const) {
      const refused = await service.gql(query, variables, { admin: true });
      expect(refused.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    }
    const room = await service.gql<{ room: RoomJson }>(ROOM, { roomId: 1002 });
    expect(room.data!.room.pinned).toBe(false);
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

  it('fails a sync cleanly when Redis dies during it: nothing applied, the run recorded as failed', async () => {
    sim.updateRoom(1001, { name: '同步中改名' });
    // The list read hangs a second: Redis dies while the sync waits for WeChat.
    sim.injectFault({ endpoint: 'list', kind: 'hang', ms: 1_000 });
    const listsBefore = sim.stats().list;
    const syncing = service!.gql<SyncAnswer>(SYNC_ROOMS, {}, { admin: true });
    await waitUntil('the sync to read the room list', () => sim.stats().list > listsBefore, {
      intervalMs: 10,
    });
    await redis.kill();

    const sync = await syncing;
    expect(sync.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    const room = await service!.gql<{ room: RoomJson }>(ROOM, { roomId: 1001 });
    expect(room.data!.room.name).toBe('房间 1001');
    // Admin queries need Redis too: read the run record once it is back, before the next sync.
    await redis.start();
    let runs: RunsAnswer | null | undefined;
    await waitUntil(
      'syncRuns to answer again',
      async () => {
        runs = (await service!.gql<RunsAnswer>(SYNC_RUNS, { limit: 1 }, { admin: true })).data;
        return Boolean(runs);
      },
      { timeoutMs: RECOVERY_MS, intervalMs: 250 },
    );
    expect(runs!.syncRuns[0]).toMatchObject({
      outcome: 'FAILED',
      errorCode: 'UPSTREAM_UNAVAILABLE',
    });

    await syncSucceedsAgain(service!);
    const synced = await service!.gql<{ room: RoomJson }>(ROOM, { roomId: 1001 });
    expect(synced.data!.room.name).toBe('同步中改名');
  });

  it('shuts down with exit code 0 on SIGTERM while Redis is down', async () => {
    await redis.kill();
    expect(await service!.stop()).toEqual({ code: 0, signal: null });
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
    await syncOrThrow(service);
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
    const sync = await service!.gql<SyncAnswer>(SYNC_ROOMS, {}, { admin: true });
    expect(sync.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(sync.errors?.[0]?.message).toMatch(/MySQL is unavailable/);

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

  it('fails a sync cleanly when MySQL dies during it and frees the lock at once', async () => {
    sim.injectFault({ endpoint: 'list', kind: 'hang', ms: 1_000 });
    const listsBefore = sim.stats().list;
    const syncing = service!.gql<SyncAnswer>(SYNC_ROOMS, {}, { admin: true });
    await waitUntil('the sync to read the room list', () => sim.stats().list > listsBefore, {
      intervalMs: 10,
    });
    await mariadb.kill();
    const sync = await syncing;
    expect(sync.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');

    await mariadb.start();
    // The lock (60 s by default) was released, not left to expire: the next sync runs at once.
    const next = await service!.gql<SyncAnswer>(SYNC_ROOMS, {}, { admin: true });
    expect(next.errors ?? []).toEqual([]);
    const runs = await service!.gql<RunsAnswer>(SYNC_RUNS, { limit: 2 }, { admin: true });
    expect(runs.data!.syncRuns.map((run) => run.outcome)).toEqual(['SUCCEEDED', 'FAILED']);
  });

  it('shuts down with exit code 0 on SIGTERM while MySQL is down', async () => {
    await mariadb.kill();
    expect(await service!.stop()).toEqual({ code: 0, signal: null });
  });
});

describe('Redis unreachable from one instance only', () => {
  let sim: WechatSimulator;
  let proxy: TcpProxy;
  const services: ServiceProcess[] = [];
  const appId = uniqueAppId();

  beforeAll(async () => {
    sim = await startWechatSimulator({ appid: appId, rooms: roomsFixture(5) });
    const shared = new URL(TEST_REDIS_URL);
    proxy = await startTcpProxy({ host: shared.hostname, port: Number(shared.port || 6379) });
    const throughProxy = new URL(TEST_REDIS_URL);
    throughProxy.port = String(proxy.port);
    services.push(
      ...(await Promise.all([
        startServiceProcess({ appId, sim, redisUrl: throughProxy.toString() }),
        startServiceProcess({ appId, sim }),
      ])),
    );
  });
  afterAll(async () => {
    await Promise.all(services.map((service) => service.stop()));
    await proxy?.close();
    await sim?.close();
  });

  // Without Redis an instance could not tell the others to drop their cached pages, so it refuses
  // the pin rather than make a change they would not show; once Redis is back the pin works and
  // every instance shows it at once.
  it('refuses a pin on an instance cut off from Redis, writing nothing, and pins once it is back', async () => {
    const [cutOff, other] = services as [ServiceProcess, ServiceProcess];
    expect((await other.gql(SYNC_ROOMS, {}, { admin: true })).errors ?? []).toEqual([]);
    const firstIds = async () =>
      (await other.gql<Page>(ROOMS, { pageSize: 3 })).data!.rooms.items.map((room) => room.roomId);
    // Asked twice: the other instance serves page 1 from its read cache.
    expect(await firstIds()).toEqual([1004, 1003, 1002]);
    expect(await firstIds()).toEqual([1004, 1003, 1002]);

    await proxy.cut();
    const refused = await cutOff.gql(PIN_ROOM, { roomId: 1000, pinned: true }, { admin: true });
    expect(refused.data).toBeNull();
    expect(refused.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(refused.errors?.[0]?.message).toMatch(/Redis is unavailable/);
    // Nothing reached MySQL: a page the other instance never cached still leads with room 1004.
    const uncached = await other.gql<Page>(ROOMS, { pageSize: 4 });
    expect(uncached.data!.rooms.items.map((room) => room.roomId)).toEqual([1004, 1003, 1002, 1001]);
    // Public reads on the cut-off instance still come from MySQL.
    const ownPage = await cutOff.gql<Page>(ROOMS, { pageSize: 3 });
    expect(ownPage.errors ?? []).toEqual([]);
    expect(ownPage.data!.rooms.items.map((room) => room.roomId)).toEqual([1004, 1003, 1002]);

    await proxy.restore();
    await waitUntil(
      'the cut-off instance to pin again',
      async () =>
        ((await cutOff.gql(PIN_ROOM, { roomId: 1000, pinned: true }, { admin: true })).errors ?? [])
          .length === 0,
      { timeoutMs: RECOVERY_MS, intervalMs: 250 },
    );
    // At once, not after the cache's expiry: the pin announced the change before answering.
    expect(await firstIds()).toEqual([1000, 1004, 1003]);
  });
});
