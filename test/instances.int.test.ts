import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { startWechatSimulator, type WechatSimulator } from '../src/wechat-sim/sim.server.js';
import { endedRoom, roomsFixture } from './support/fixtures.js';
import { waitUntil } from './support/processes.js';
import {
  PIN_ROOM,
  ROOM,
  ROOMS,
  SYNC_REPLAY,
  SYNC_ROOMS,
  SYNC_RUNS,
  type RoomJson,
  type SyncReportJson,
  type SyncRunJson,
} from './support/queries.js';
import { startServiceProcess, type ServiceProcess } from './support/service-process.js';
import { uniqueAppId, type GraphQLAnswer } from './support/test-app.js';

type SyncAnswer = GraphQLAnswer<{ syncRooms: SyncReportJson }>;
type Run = SyncRunJson & { startedAt: string; finishedAt: string | null };
type Page = { rooms: { items: RoomJson[]; totalCount: number } };

/** Instances of the service behind one load balancer: one MySQL, one Redis, one WeChat. */
async function startInstances(
  appId: string,
  sim: WechatSimulator,
  env: Record<string, string>,
  count = 3,
): Promise<ServiceProcess[]> {
  const settled = await Promise.allSettled(
    Array.from({ length: count }, () => startServiceProcess({ appId, sim, env })),
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
  expect(answer.errors ?? []).toEqual([]);
  return answer.data!.syncRuns;
}

/** Sends syncRooms to every given instance at once, round after round, until one succeeds. */
async function syncRoundsUntilOneSucceeds(services: ServiceProcess[]): Promise<SyncAnswer[][]> {
  const rounds: SyncAnswer[][] = [];
  await waitUntil(
    'an instance to get the sync lock',
    async () => {
      const answers = await Promise.all(services.map(syncOn));
      rounds.push(answers);
      return answers.some((answer) => answer.errors === undefined);
    },
    { timeoutMs: 10_000, intervalMs: 200 },
  );
  return rounds;
}

/** Exactly one sync ran over all rounds; every other answer was SYNC_IN_PROGRESS. */
function expectOneSuccess(rounds: SyncAnswer[][]): SyncAnswer {
  const answers = rounds.flat();
  const succeeded = answers.filter((answer) => answer.errors === undefined);
  expect(succeeded).toHaveLength(1);
  const refusals = answers.flatMap(
    (answer) => answer.errors?.map((error) => error.extensions?.code) ?? [],
  );
  expect(refusals).toEqual(refusals.map(() => 'SYNC_IN_PROGRESS'));
  expect(refusals).toHaveLength(answers.length - 1);
  return succeeded[0]!;
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
    const winner = expectOneSuccess([await Promise.all(instances.map(syncOn))]);
    // WeChat saw one sync's list reads, not three.
    expect(winner.data!.syncRooms.listCalls).toBe(3);
    expect(sim.stats().list).toBe(3);
  });

  it('fetches the access token once for all instances', async () => {
    for (const service of instances) expect((await syncOn(service)).errors ?? []).toEqual([]);
    expect(sim.stats().stableToken).toBe(1);
  });

  it('replaces a rejected token once for all instances, not once each', async () => {
    sim.invalidateTokens();
    const before = sim.stats();
    for (const service of instances) expect((await syncOn(service)).errors ?? []).toEqual([]);
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
    for (const answer of answers) expect(answer.errors ?? []).toEqual([]);
    expect(sim.stats().replay - before.replay).toBeGreaterThanOrEqual(6);
    expect(sim.stats().stableToken - before.stableToken).toBe(1);
  });

  it('shows a pin sent to one instance on the other two as soon as the pin is answered', async () => {
    const firstIds = async (service: ServiceProcess) => {
      const page = await service.gql<Page>(ROOMS, { pageSize: 3 });
      expect(page.errors ?? []).toEqual([]);
      return page.data!.rooms.items.map((room) => room.roomId);
    };
    const [a, b, c] = instances as [ServiceProcess, ServiceProcess, ServiceProcess];
    // Asked twice, so b and c hold page 1 in their read caches.
    for (const service of [b, c, b, c]) expect(await firstIds(service)).toEqual([1119, 1118, 1117]);

    const pinned = await a.gql(PIN_ROOM, { roomId: 1000, pinned: true }, { admin: true });
    expect(pinned.errors ?? []).toEqual([]);
    expect(await firstIds(b)).toEqual([1000, 1119, 1118]);
    expect(await firstIds(c)).toEqual([1000, 1119, 1118]);

    const unpinned = await c.gql(PIN_ROOM, { roomId: 1000, pinned: false }, { admin: true });
    expect(unpinned.errors ?? []).toEqual([]);
    expect(await firstIds(a)).toEqual([1119, 1118, 1117]);
    expect(await firstIds(b)).toEqual([1119, 1118, 1117]);
  });

  it('lets a lock holder paused past its lock’s expiry apply nothing once another instance synced', async () => {
    const [first, second, holder] = instances as [ServiceProcess, ServiceProcess, ServiceProcess];
    const renamed = '暂停期间改名';
    sim.updateRoom(1005, { name: renamed });
    sim.injectFault({ endpoint: 'list', kind: 'hang', ms: 1_000 });
    sim.resetStats();
    const paused = syncOn(holder);
    await waitUntil('the holder to read the room list', () => sim.stats().list > 0, {
      intervalMs: 10,
    });
    // Frozen (as by a long GC pause or a stalled VM) for longer than its 2 s lock.
    holder.signal('SIGSTOP');
    let rounds: SyncAnswer[][];
    try {
      rounds = await syncRoundsUntilOneSucceeds([first, second]);
    } finally {
      holder.signal('SIGCONT');
    }
    const winner = expectOneSuccess(rounds);

    // Resumed, the holder finds its lock gone before applying and applies nothing.
    const late = await paused;
    expect(late.errors?.[0]?.extensions?.code).toBe('SYNC_LOCK_LOST');
    const runs = await runsOf(first);
    const byId = new Map(runs.map((run) => [run.id, run]));
    expect(byId.get(winner.data!.syncRooms.runId)).toMatchObject({ outcome: 'SUCCEEDED' });
    expect(runs.filter((run) => run.errorCode === 'SYNC_LOCK_LOST')).toHaveLength(1);
    const room = await first.gql<{ room: RoomJson }>(ROOM, { roomId: 1005 });
    expect(room.data!.room.name).toBe(renamed);
  });

  // Last: it kills one of the instances.
  it('lets another instance sync once the killed lock holder’s lock expires, never two at once', async () => {
    const [holder, ...others] = instances as [ServiceProcess, ServiceProcess, ServiceProcess];
    const earlierRuns = new Set((await runsOf(holder)).map((run) => run.id));
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

    const winner = expectOneSuccess(await syncRoundsUntilOneSucceeds(others));

    const runs = (await runsOf(others[0])).filter((run) => !earlierRuns.has(run.id));
    expect(runs).toHaveLength(2);
    expect(runs[0]).toMatchObject({ id: winner.data!.syncRooms.runId, outcome: 'SUCCEEDED' });
    expect(runs[1]).toMatchObject({ outcome: 'FAILED', errorCode: 'INTERRUPTED' });
    expectNoOverlap(runs);
  });
});

describe('instances on a schedule', () => {
  const TICK_MS = 2_000;
  const SCHEDULED = {
    SCHEDULER_ENABLED: 'true',
    // The fixed schedule of SYNC_MODE=cron, kept as it was before the adaptive planner.
    SYNC_MODE: 'cron',
    SYNC_CRON: '*/2 * * * * *',
    SYNC_LOCK_TTL_SECONDS: '2',
    LOG_LEVEL: 'debug',
  };
  let sim: WechatSimulator | undefined;
  let instances: ServiceProcess[] = [];

  afterEach(async () => {
    await stopAll(instances);
    instances = [];
    await sim?.close();
    sim = undefined;
  });

  const sleepUntil = (at: number) =>
    new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
  /** The first tick at least `marginMs` from now. */
  const nextTickAfter = (marginMs: number) =>
    Math.ceil((Date.now() + marginMs) / TICK_MS) * TICK_MS;
  const tickOf = (run: Run) => Math.floor(Date.parse(run.startedAt) / TICK_MS) * TICK_MS;

  /** The ticks at which an instance's scheduled sync fired since `since`: it ran or found the lock taken. */
  const firingsSince = (service: ServiceProcess, since: number) =>
    service
      .logs()
      .filter(
        (line) =>
          Number(line.time) >= since &&
          (line.msg === 'sync started' ||
            line.msg === 'scheduled sync skipped: another sync is running' ||
            line.msg === 'scheduled sync skipped: another instance runs this tick'),
      ).length;

  it('runs the scheduled sync once per tick although every instance fires it', async () => {
    const appId = uniqueAppId();
    sim = await startWechatSimulator({ appid: appId, rooms: roomsFixture(5) });
    const scheduled = await startInstances(appId, sim, SCHEDULED);
    instances = [...scheduled];

    // Watch three ticks with all three instances up, from half a tick before the first.
    const firstTick = nextTickAfter(TICK_MS);
    const windowStart = firstTick - TICK_MS / 4;
    await sleepUntil(windowStart);
    sim.resetStats();
    await sleepUntil(firstTick + 2 * TICK_MS + TICK_MS / 4);

    for (const service of scheduled) expect(firingsSince(service, windowStart)).toBe(3);
    const runs = (await runsOf(scheduled[0]!)).filter(
      (run) => Date.parse(run.startedAt) >= windowStart,
    );
    expect(runs.map(tickOf).sort((x, y) => x - y)).toEqual([
      firstTick,
      firstTick + TICK_MS,
      firstTick + 2 * TICK_MS,
    ]);
    expect(runs.filter((run) => run.trigger !== 'CRON' || run.outcome !== 'SUCCEEDED')).toEqual([]);
    expectNoOverlap(runs);
    // One sync's list read per tick reached WeChat.
    expect(sim.stats().list).toBe(3);
  });

  // The sync lock only covers a running sync: a late timer must not run the same tick again once it
  // ended (each tick's slot is claimed once in Redis).
  it('runs a tick once even when one instance fires it late', async () => {
    const appId = uniqueAppId();
    sim = await startWechatSimulator({ appid: appId, rooms: roomsFixture(5) });
    const [onTime, late] = (instances = await startInstances(appId, sim, SCHEDULED, 2)) as [
      ServiceProcess,
      ServiceProcess,
    ];
    // A first tick fetches the token and the quota limit; later syncs take a few milliseconds.
    await waitUntil('a first scheduled sync', () => sim!.stats().list > 0);

    const tick = nextTickAfter(1_000);
    await sleepUntil(tick - 700);
    // Frozen across the tick (as by a long GC pause): it fires 800 ms late, within node-cron's
    // one-second tolerance for late timers, long after the on-time instance's sync finished.
    late.signal('SIGSTOP');
    try {
      await sleepUntil(tick + 800);
    } finally {
      late.signal('SIGCONT');
    }
    await sleepUntil(tick + 1_500);
    expect(firingsSince(late, tick)).toBe(1);

    const runs = await runsOf(onTime);
    expect(runs.filter((run) => tickOf(run) === tick)).toHaveLength(1);
  });
});
