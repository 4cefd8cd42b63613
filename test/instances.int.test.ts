import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startWechatSimulator, type WechatSimulator } from '../src/wechat-sim/sim.server.js';
import { endedRoom, roomsFixture } from './support/fixtures.js';
import { waitUntil } from './support/processes.js';
import {
  PIN_ROOM,
  ROOMS,
  SYNC_REPLAY,
  SYNC_ROOMS,
  SYNC_RUNS,
  type RoomJson,
  type SyncReportJson,
  type SyncRunJson,
} from './support/queries.js';
import { startServiceProcess, type ServiceProcess } from './support/service-process.js';
import type { GraphQLAnswer } from './support/test-app.js';
import { uniqueAppId } from './support/test-app.js';

type SyncAnswer = GraphQLAnswer<{ syncRooms: SyncReportJson }>;
type Run = SyncRunJson & { startedAt: string; finishedAt: string | null };
type Page = { rooms: { items: RoomJson[]; totalCount: number } };

/** Three instances of the service behind one load balancer: one MySQL, one Redis, one WeChat. */
async function startInstances(
  appId: string,
  sim: WechatSimulator,
  env: Record<string, string>,
): Promise<ServiceProcess[]> {
  const settled = await Promise.allSettled(
    [0, 1, 2].map(() => startServiceProcess({ appId, sim, env })),
  );
  const started = settled.flatMap((result) =>
    result.status === 'fulfilled' ? [result.value] : [],
  );
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((service) => service.kill()));
    throw failed.reason;
  }
  return started;
}

async function stopAll(instances: ServiceProcess[]): Promise<void> {
  await Promise.all(instances.map((service) => service.stop()));
}

const syncOn = (service: ServiceProcess): Promise<SyncAnswer> =>
  service.gql<{ syncRooms: SyncReportJson }>(SYNC_ROOMS, {}, { admin: true });

async function runsOf(service: ServiceProcess): Promise<Run[]> {
  const answer = await service.gql<{ syncRuns: Run[] }>(SYNC_RUNS, { limit: 100 }, { admin: true });
  expect(answer.errors).toBeUndefined();
  return answer.data!.syncRuns;
}

/** Fails when two runs' [startedAt, finishedAt] spans overlap: a sync ran twice at once. */
function expectNoOverlap(runs: Run[]): void {
  const ordered = [...runs].sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
  for (let index = 1; index < ordered.length; index += 1) {
    const previous = ordered[index - 1]!;
    expect(previous.finishedAt, `run ${previous.id} never finished`).not.toBeNull();
    expect(
      Date.parse(previous.finishedAt!),
      `run ${previous.id} still ran when run ${ordered[index]!.id} started`,
    ).toBeLessThanOrEqual(Date.parse(ordered[index]!.startedAt));
  }
}

describe('three instances on demand', () => {
  const appId = uniqueAppId();
  let sim: WechatSimulator;
  let instances: ServiceProcess[] = [];

  beforeAll(async () => {
    // 120 rooms are three list pages; 200 ms per WeChat call keeps a sync running for a while.
    sim = await startWechatSimulator({
      appid: appId,
      rooms: [...roomsFixture(120), endedRoom(1)],
      latencyMs: 200,
    });
    instances = await startInstances(appId, sim, { SYNC_LOCK_TTL_SECONDS: '2' });
  });
  afterAll(async () => {
    await stopAll(instances);
    await sim?.close();
  });

  it('runs one of three simultaneous syncs and refuses the others with SYNC_IN_PROGRESS', async () => {
    sim.resetStats();
    const answers = await Promise.all(instances.map(syncOn));
    const succeeded = answers.filter((answer) => answer.errors === undefined);
    expect(succeeded).toHaveLength(1);
    expect(
      answers.filter((answer) => answer.errors?.[0]?.extensions?.code === 'SYNC_IN_PROGRESS'),
    ).toHaveLength(2);
    // WeChat saw one sync's list reads, not three.
    const report = succeeded[0]!.data!.syncRooms;
    expect(report.listCalls).toBe(3);
    expect(sim.stats().list).toBe(3);
  });

  it('fetches the access token once for all instances', async () => {
    for (const service of instances) expect((await syncOn(service)).errors).toBeUndefined();
    expect(sim.stats().stableToken).toBe(1);
  });

  it('replaces a rejected token once for all instances, not once each', async () => {
    sim.invalidateTokens();
    const before = sim.stats();
    for (const service of instances) expect((await syncOn(service)).errors).toBeUndefined();
    expect(sim.stats().stableToken - before.stableToken).toBe(1);
    expect(sim.stats().forceRefresh).toBe(before.forceRefresh);
  });

  it('replaces a token rejected on three instances at the same moment once', async () => {
    sim.invalidateTokens();
    const before = sim.stats();
    // Replay fetches take no sync lock: all three meet the rejected token at once.
    const answers = await Promise.all(
      instances.map((service) => service.gql(SYNC_REPLAY, { roomId: 1 }, { admin: true })),
    );
    for (const answer of answers) expect(answer.errors).toBeUndefined();
    expect(sim.stats().replay - before.replay).toBeGreaterThanOrEqual(6);
    expect(sim.stats().stableToken - before.stableToken).toBe(1);
  });

  it('shows a pin sent to one instance on the other two as soon as the pin is answered', async () => {
    const firstIds = async (service: ServiceProcess) => {
      const page = await service.gql<Page>(ROOMS, { pageSize: 3 });
      expect(page.errors).toBeUndefined();
      return page.data!.rooms.items.map((room) => room.roomId);
    };
    const [a, b, c] = instances as [ServiceProcess, ServiceProcess, ServiceProcess];
    // Asked twice, so b and c hold page 1 in their read caches.
    for (const service of [b, c, b, c]) expect(await firstIds(service)).toEqual([1119, 1118, 1117]);

    const pinned = await a.gql(PIN_ROOM, { roomId: 1000, pinned: true }, { admin: true });
    expect(pinned.errors).toBeUndefined();
    expect(await firstIds(b)).toEqual([1000, 1119, 1118]);
    expect(await firstIds(c)).toEqual([1000, 1119, 1118]);

    expect((await c.gql(PIN_ROOM, { roomId: 1000, pinned: false }, { admin: true })).errors).toBe(
      undefined,
    );
    expect(await firstIds(a)).toEqual([1119, 1118, 1117]);
    expect(await firstIds(b)).toEqual([1119, 1118, 1117]);
  });

  // Last: it kills one of the instances.
  it('lets another instance sync once the killed lock holder’s lock expires, never two at once', async () => {
    const [holder, ...others] = instances as [ServiceProcess, ServiceProcess, ServiceProcess];
    // The first list page hangs 3 s: the holder is surely mid-sync when it dies.
    sim.injectFault({ endpoint: 'list', kind: 'hang', ms: 3_000 });
    sim.resetStats();
    const dying = syncOn(holder).then(
      () => 'answered',
      () => 'connection lost',
    );
    await waitUntil('the holder to read the room list', () => sim.stats().list > 0, {
      intervalMs: 10,
    });
    await holder.kill();
    expect(await dying).toBe('connection lost');

    let winners: SyncAnswer[] = [];
    await waitUntil(
      'a surviving instance to get the lock',
      async () => {
        const answers = await Promise.all(others.map(syncOn));
        for (const answer of answers) {
          if (answer.errors) expect(answer.errors[0]?.extensions?.code).toBe('SYNC_IN_PROGRESS');
        }
        winners = answers.filter((answer) => answer.errors === undefined);
        return winners.length > 0;
      },
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    expect(winners).toHaveLength(1);

    const runs = await runsOf(others[0]);
    expect(runs[0]).toMatchObject({ id: winners[0]!.data!.syncRooms.runId, outcome: 'SUCCEEDED' });
    expect(runs[1]).toMatchObject({ outcome: 'FAILED', errorCode: 'INTERRUPTED' });
    expectNoOverlap(runs);
  });
});

describe('three instances on a schedule', () => {
  const appId = uniqueAppId();
  let sim: WechatSimulator;
  let instances: ServiceProcess[] = [];

  beforeAll(async () => {
    sim = await startWechatSimulator({ appid: appId, rooms: roomsFixture(5) });
  });
  afterAll(async () => {
    await stopAll(instances);
    await sim?.close();
  });

  it('runs the scheduled sync once per tick although every instance fires it', async () => {
    instances = await startInstances(appId, sim, {
      SCHEDULER_ENABLED: 'true',
      SYNC_CRON: '*/2 * * * * *',
      SYNC_LOCK_TTL_SECONDS: '2',
    });
    // Three more ticks with all three instances up.
    await new Promise((resolve) => setTimeout(resolve, 6_500));
    await stopAll(instances);
    instances = [];

    const reader = await startServiceProcess({ appId, sim });
    instances = [reader];
    const runs = await runsOf(reader);
    const ticks = new Set(runs.map((run) => Math.floor(Date.parse(run.startedAt) / 2_000)));
    expect(ticks.size).toBeGreaterThanOrEqual(3);
    expect(runs.map((run) => run.trigger)).toEqual(runs.map(() => 'CRON'));
    expect(runs.filter((run) => run.outcome !== 'SUCCEEDED')).toEqual([]);
    expect(runs).toHaveLength(ticks.size);
    expectNoOverlap(runs);
    expect(sim.stats().list).toBe(runs.length);
  });
});
