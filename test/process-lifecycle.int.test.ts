import { Agent } from 'node:http';

import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { createDb, type DbHandle } from '../src/db/client.js';
import { redisKeys } from '../src/redis/keys.js';
import { startWechatSimulator, type WechatSimulator } from '../src/wechat-sim/sim.server.js';
import { roomsFixture } from './support/fixtures.js';
import { waitUntil } from './support/processes.js';
import { SYNC_ROOMS, SYNC_RUNS, type SyncReportJson, type SyncRunJson } from './support/queries.js';
import {
  startServiceProcess,
  type ServiceProcess,
  type ServiceProcessOptions,
} from './support/service-process.js';
import { uniqueAppId } from './support/test-app.js';
import { TEST_REDIS_URL, testDatabaseUrl } from './support/test-env.js';

type SyncAnswer = { syncRooms: SyncReportJson };
type RunsAnswer = {
  syncRuns: Array<SyncRunJson & { startedAt: string; finishedAt: string | null }>;
};

// 400 rooms are 8 list pages of 50; with 400 ms per WeChat call a sync takes about two seconds,
// long enough to act while it is in flight.
const ROOM_COUNT = 400;
const LATENCY_MS = 400;

let db: DbHandle;
let redis: Redis;
const started: ServiceProcess[] = [];
let sim: WechatSimulator | undefined;

beforeAll(() => {
  db = createDb(testDatabaseUrl());
  redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  redis.disconnect();
  await db.close();
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((service) => service.stop()));
  await sim?.close();
  sim = undefined;
});

async function start(options: ServiceProcessOptions): Promise<ServiceProcess> {
  const service = await startServiceProcess(options);
  started.push(service);
  return service;
}

/** A WeChat slow enough to act while a sync is in flight; closed after the test. */
async function startSlowWechat(): Promise<{ wechat: WechatSimulator; appId: string }> {
  const appId = uniqueAppId();
  const wechat = await startWechatSimulator({
    appid: appId,
    rooms: roomsFixture(ROOM_COUNT),
    latencyMs: LATENCY_MS,
  });
  sim = wechat;
  return { wechat, appId };
}

async function count(sql: string, appId: string): Promise<number> {
  const [rows] = (await db.pool.query(sql, [appId])) as unknown as [Array<{ n: number }>];
  return Number(rows[0]!.n);
}

/**
 * Open InnoDB transactions of this test run's database (other runs on the server are not counted),
 * optionally only those waiting for a row lock.
 */
async function openTransactions(state?: 'LOCK WAIT'): Promise<number> {
  const [rows] = (await db.pool.query(
    `select count(*) as n from information_schema.innodb_trx t
       join information_schema.processlist p on p.id = t.trx_mysql_thread_id
      where p.db = database() and (? is null or t.trx_state = ?)`,
    [state ?? null, state ?? null],
  )) as unknown as [Array<{ n: number }>];
  return Number(rows[0]!.n);
}

/**
 * After a SIGKILL mid-sync: its run is still recorded as running (the next sync closes it), and
 * nobody extends the dead process's lock, so it is gone within its 2 s TTL.
 */
async function expectAbandonedByKilledSync(appId: string): Promise<void> {
  expect(
    await count(
      "select count(*) as n from sync_runs where app_id = ? and outcome = 'running'",
      appId,
    ),
  ).toBe(1);
  await waitUntil(
    'the dead sync lock to expire',
    async () => (await redis.exists(redisKeys.syncLock(appId))) === 0,
    { timeoutMs: 5_000 },
  );
}

describe('process lifecycle', () => {
  it('answers 200 on /healthz and /readyz when MySQL and Redis answer', async () => {
    const appId = uniqueAppId();
    sim = await startWechatSimulator({ appid: appId });
    const service = await start({ appId, sim });
    const health = await service.get('/healthz');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ status: 'ok' });
    const ready = await service.get('/readyz');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({ status: 'ready' });
  });

  it('answers 503 on /readyz while a migration is not applied, and 200 on /healthz', async () => {
    const appId = uniqueAppId();
    sim = await startWechatSimulator({ appid: appId });
    // A database of this test's own: the service creates and migrates it, then loses a migration.
    const url = new URL(testDatabaseUrl());
    url.pathname = `/wxlive_readyz_${appId}`;
    const service = await start({ appId, sim, databaseUrl: url.toString() });
    const own = createDb(url.toString());
    try {
      expect((await service.get('/readyz')).status).toBe(200);
      await own.pool.query('delete from __drizzle_migrations order by created_at desc limit 1');
      const ready = await service.get('/readyz');
      expect(ready.status).toBe(503);
      expect(JSON.parse(ready.body)).toEqual({
        status: 'not ready',
        reason: '1 migration(s) not applied',
      });
      expect((await service.get('/healthz')).status).toBe(200);
    } finally {
      await own.pool.query(`drop database \`${url.pathname.slice(1)}\``);
      await own.close();
    }
  });

  it('recovers from a SIGKILL mid-sync: nothing half-applied, lock expires, run marked INTERRUPTED', async () => {
    const { wechat, appId } = await startSlowWechat();
    const env = { SYNC_LOCK_TTL_SECONDS: '2' };
    const first = await start({ appId, sim: wechat, env });

    const inFlight = first.gql<SyncAnswer>(SYNC_ROOMS, {}, { admin: true }).then(
      () => 'answered',
      () => 'connection lost',
    );
    await waitUntil('the sync to read the room list', () => wechat.stats().list > 0, {
      intervalMs: 10,
    });
    expect(await redis.exists(redisKeys.syncLock(appId))).toBe(1);
    await first.kill();
    expect(await inFlight).toBe('connection lost');

    // The apply is one transaction: all rooms or none, never a part.
    expect([0, ROOM_COUNT]).toContain(
      await count('select count(*) as n from rooms where app_id = ?', appId),
    );
    await expectAbandonedByKilledSync(appId);

    const second = await start({ appId, sim: wechat, env });
    const sync = await second.gql<SyncAnswer>(SYNC_ROOMS, {}, { admin: true });
    expect(sync.errors ?? []).toEqual([]);
    expect(await count('select count(*) as n from rooms where app_id = ?', appId)).toBe(ROOM_COUNT);

    const runs = (await second.gql<RunsAnswer>(SYNC_RUNS, { limit: 10 }, { admin: true })).data!
      .syncRuns;
    expect(runs).toHaveLength(2);
    expect(runs[0]).toMatchObject({ id: sync.data!.syncRooms.runId, outcome: 'SUCCEEDED' });
    expect(runs[1]).toMatchObject({ outcome: 'FAILED', errorCode: 'INTERRUPTED' });
    expect(runs[1]!.finishedAt).not.toBeNull();
  });

  it('recovers from a SIGKILL inside the apply transaction: MySQL rolls the whole apply back', async () => {
    const appId = uniqueAppId();
    sim = await startWechatSimulator({ appid: appId, rooms: roomsFixture(ROOM_COUNT) });
    const env = { SYNC_LOCK_TTL_SECONDS: '2' };
    const first = await start({ appId, sim, env });
    expect((await first.gql<SyncAnswer>(SYNC_ROOMS, {}, { admin: true })).errors ?? []).toEqual([]);
    const snapshot = async () =>
      (
        await db.pool.query(
          'select room_id, name, archived_at, updated_at from rooms where app_id = ? order by room_id',
          [appId],
        )
      )[0];
    const before = await snapshot();

    // WeChat changes three rooms; the test holds a row lock on one of them, so the sync's apply
    // transaction starts writing and then waits on that row, where the process is killed.
    sim.updateRoom(1399, { name: '新名字 1399' });
    sim.updateRoom(1000, { name: '新名字 1000' });
    sim.removeRoom(1200);
    const blocker = await db.pool.getConnection();
    try {
      await blocker.beginTransaction();
      await blocker.query(
        'select room_id from rooms where app_id = ? and room_id = 1000 for update',
        [appId],
      );
      const inFlight = first.gql<SyncAnswer>(SYNC_ROOMS, {}, { admin: true }).then(
        () => 'answered',
        () => 'connection lost',
      );
      await waitUntil(
        'the apply transaction to wait on the locked row',
        async () => (await openTransactions('LOCK WAIT')) > 0,
        // Not faster: polling the process list that often slows the server's new connections.
        { timeoutMs: 20_000, intervalMs: 250 },
      );
      await first.kill();
      expect(await inFlight).toBe('connection lost');
    } finally {
      await blocker.rollback();
      blocker.release();
    }

    // The killed connection's transaction is rolled back as a whole: not one room changed.
    await waitUntil(
      'MySQL to roll back the dead transaction',
      async () => (await openTransactions()) === 0,
      { timeoutMs: 10_000 },
    );
    expect(await snapshot()).toEqual(before);
    await expectAbandonedByKilledSync(appId);
    const second = await start({ appId, sim, env });
    const sync = await second.gql<SyncAnswer>(SYNC_ROOMS, {}, { admin: true });
    expect(sync.errors ?? []).toEqual([]);
    expect(sync.data!.syncRooms).toMatchObject({ roomsUpdated: 2, roomsArchived: 1 });
    const runs = (await second.gql<RunsAnswer>(SYNC_RUNS, { limit: 3 }, { admin: true })).data!
      .syncRuns;
    expect(runs.map((run) => [run.outcome, run.errorCode])).toEqual([
      ['SUCCEEDED', null],
      ['FAILED', 'INTERRUPTED'],
      ['SUCCEEDED', null],
    ]);
  });

  it('on SIGTERM stops accepting connections, finishes the running sync, releases the lock and exits 0', async () => {
    const { wechat, appId } = await startSlowWechat();
    const service = await start({ appId, sim: wechat, env: { SYNC_LOCK_TTL_SECONDS: '30' } });

    let settled = false;
    const inFlight = service.gql<SyncAnswer>(SYNC_ROOMS, {}, { admin: true }).finally(() => {
      settled = true;
    });
    await waitUntil('the sync to read the room list', () => wechat.stats().list > 0, {
      intervalMs: 10,
    });
    service.signal('SIGTERM');

    await waitUntil(
      'the port to refuse new connections',
      async () => !(await service.acceptsConnections()),
      { timeoutMs: 1_000, intervalMs: 20 },
    );
    // The sync was still running when new connections were already refused.
    expect(settled).toBe(false);
    expect(service.exitStatus()).toBeNull();

    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(answer.errors ?? []).toEqual([]);
    expect(answer.data!.syncRooms).toMatchObject({ roomsAdded: ROOM_COUNT });

    expect(await service.exited).toEqual({ code: 0, signal: null });
    // Released at once, not left to expire after 30 s.
    expect(await redis.exists(redisKeys.syncLock(appId))).toBe(0);
    expect(service.output()).toMatch(/shutting down/);
  });

  // After SIGTERM, answers carry Connection: close, so keep-alive clients (load balancers, proxy
  // pools) move on instead of holding the process until the grace period ends.
  it('tells keep-alive clients to close their connection once SIGTERM arrived', async () => {
    const { wechat, appId } = await startSlowWechat();
    const service = await start({ appId, sim: wechat });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect((await service.get('/healthz', agent)).headers.connection).toBe('keep-alive');
      const inFlight = service.gql<SyncAnswer>(SYNC_ROOMS, {}, { admin: true, agent });
      await waitUntil('the sync to read the room list', () => wechat.stats().list > 0, {
        intervalMs: 10,
      });
      service.signal('SIGTERM');
      await waitUntil(
        'the port to refuse new connections',
        async () => !(await service.acceptsConnections()),
        { timeoutMs: 1_000, intervalMs: 20 },
      );

      const answer = await inFlight;
      expect(answer.errors ?? []).toEqual([]);
      expect(answer.headers.connection).toBe('close');
      // The same client's next request finds no open connection and no listener.
      await expect(service.get('/healthz', agent)).rejects.toThrow(
        /ECONNREFUSED|ECONNRESET|hang up/,
      );
    } finally {
      agent.destroy();
    }
  });
});
