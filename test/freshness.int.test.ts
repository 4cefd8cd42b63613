import { afterEach, describe, expect, it } from 'vitest';

import { createFreshnessDriver, type FreshnessDriver } from '../src/freshness/freshness.driver.js';
import { scheduleFreshnessJob, type FreshnessJob } from '../src/freshness/freshness.jobs.js';
import { createFreshnessStore } from '../src/freshness/freshness.store.js';
import { createLogger } from '../src/logger.js';
import { makeRoom } from '../src/wechat-sim/sim.rooms.js';
import { roomsFixture } from './support/fixtures.js';
import { SYNC_RUNS } from './support/queries.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const logger = createLogger({ level: 'silent', pretty: false });
const settings = {
  targetSeconds: 60,
  fullSyncMinMinutes: 5,
  fullSyncMaxMinutes: 60,
  quotaReserve: 50,
  replayRetryMinutes: 30,
  replayGiveUpDays: 7,
};

let apps: TestApp[] = [];
let jobs: FreshnessJob[] = [];
afterEach(async () => {
  await Promise.all(jobs.map((job) => job.stop()));
  await Promise.all(apps.map((app) => app.close()));
  apps = [];
  jobs = [];
});

/** A clock the test moves by hand, starting at the real time (the simulator's day). */
function testClock() {
  let offsetMs = 0;
  return {
    now: () => new Date(Date.now() + offsetMs),
    advance(ms: number) {
      offsetMs += ms;
    },
  };
}

/** The app's real services driven by a planner on the given clock. */
function driverFor(t: TestApp, now: () => Date): FreshnessDriver {
  const { services } = t.app;
  return createFreshnessDriver({
    appId: t.appId,
    db: services.db.db,
    redis: services.redis,
    sync: services.sync,
    quota: services.quota,
    readQuotaFigures: () => services.wechat.refreshQuotaLimit(),
    store: createFreshnessStore(services.redis, t.appId),
    settings,
    logger,
    now,
  });
}

/** Five rooms of the past and one planned to start a minute from now. */
function roomsWithAShowSoon() {
  const nowSeconds = Math.floor(Date.now() / 1000);
  const show = makeRoom({
    roomid: 9001,
    name: '马上开播',
    live_status: 102,
    start_time: nowSeconds + 60,
    end_time: nowSeconds + 2 * 3600,
  });
  return [...roomsFixture(5, { live_status: 103, close_replay: 1 }), show];
}

describe('the adaptive planner against the simulator', () => {
  it('syncs fully first, then reads only the page of a room about to start, and records the change', async () => {
    const t = await startTestApp({ sim: { rooms: roomsWithAShowSoon() } });
    apps.push(t);
    const clock = testClock();
    const driver = driverFor(t, clock.now);

    const first = await driver.tick();
    expect(first?.reads.map((read) => [read.read.kind, read.outcome])).toEqual([['full', 'done']]);
    expect(t.sim.stats().list).toBe(1);

    t.sim.updateRoom(9001, { live_status: 101 });
    clock.advance(61_000);
    const second = await driver.tick();
    expect(second?.reads).toEqual([
      expect.objectContaining({
        read: expect.objectContaining({ kind: 'targeted', roomIds: [9001], calls: 1 }),
        outcome: 'done',
        calls: 1,
      }),
    ]);
    expect(t.sim.stats().list).toBe(2);

    const room = await t.gql<{ room: { liveStatus: string } }>(
      'query { room(roomId: 9001) { liveStatus } }',
    );
    expect(room.data?.room.liveStatus).toBe('LIVE');
    const runs = await t.gql<{ syncRuns: Array<{ trigger: string; kind: string }> }>(
      SYNC_RUNS.replace('trigger', 'trigger kind'),
      { limit: 2 },
      { admin: true },
    );
    expect(runs.data?.syncRuns).toEqual([
      expect.objectContaining({ trigger: 'PLANNER', kind: 'TARGETED' }),
      expect.objectContaining({ trigger: 'PLANNER', kind: 'FULL' }),
    ]);
    const [transition] = await createFreshnessStore(t.app.redis, t.appId).transitions();
    expect(transition).toMatchObject({ roomId: 9001, from: 102, to: 101, kind: 'targeted' });
    // Confirmed 61 s of test clock before, plus the real time the first tick took.
    expect(transition!.lagAtMostSeconds).toBeGreaterThanOrEqual(61);
    expect(transition!.lagAtMostSeconds).toBeLessThan(75);

    // Nothing due right after: the next read of the live room waits for the live interval.
    const third = await driver.tick();
    expect(third?.reads).toEqual([]);
    expect(third?.plan.hotRooms).toEqual([
      expect.objectContaining({ roomId: 9001, reason: 'live' }),
    ]);
  });

  it('keeps its plan across a restart: a new process plans the same next reads from what is stored', async () => {
    const t = await startTestApp({ sim: { rooms: roomsWithAShowSoon() } });
    apps.push(t);
    const clock = testClock();
    const before = await driverFor(t, clock.now).tick();
    expect(before?.reads.map((read) => read.read.kind)).toEqual(['full']);
    const store = createFreshnessStore(t.app.redis, t.appId);
    const saved = await store.loadPlan();
    expect(saved?.next.length).toBeGreaterThan(0);

    // A new driver (as a restarted or failed-over instance builds it) on the same moment.
    const frozen = clock.now();
    const after = await driverFor(t, () => frozen).tick();
    expect(after?.reads).toEqual([]);
    expect(after?.plan.next).toEqual(saved?.next);
    expect(after?.plan.hotRooms).toEqual(saved?.hotRooms);
    expect(t.sim.stats().list).toBe(1);
  });
});

describe('one planner per app across instances', () => {
  it('lets exactly one of three instances plan, and another take over when it stops', async () => {
    const first = await startTestApp({ sim: { rooms: roomsFixture(3) } });
    apps.push(first);
    const others = await Promise.all(
      [0, 1].map(() => startTestApp({ sharedSim: { sim: first.sim, appId: first.appId } })),
    );
    apps.push(...others);
    const ticks = [0, 0, 0];
    jobs = [first, ...others].map((t, index) => {
      const real = driverFor(t, () => new Date());
      return scheduleFreshnessJob({
        appId: t.appId,
        redis: t.app.redis,
        logger,
        cron: '* * * * * *',
        leaseMs: 2_500,
        driver: {
          tick: async () => {
            ticks[index] += 1;
            return real.tick();
          },
        },
      });
    });
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    const leaders = jobs.filter((job) => job.isLeader());
    expect(leaders).toHaveLength(1);
    const leader = jobs.indexOf(leaders[0]!);
    expect(ticks.filter((count) => count > 0)).toEqual([ticks[leader]]);
    // One full sync, however many instances ticked.
    expect(first.sim.stats().list).toBe(1);

    await jobs[leader]!.stop();
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const next = jobs.filter((job, index) => index !== leader && job.isLeader());
    expect(next).toHaveLength(1);
  });
});

describe('the scheduler per SYNC_MODE', () => {
  async function runsOf(t: TestApp) {
    const answer = await t.gql<{ syncRuns: Array<{ trigger: string; kind: string }> }>(
      SYNC_RUNS.replace('trigger', 'trigger kind'),
      { limit: 5 },
      { admin: true },
    );
    return answer.data?.syncRuns ?? [];
  }

  it('runs the planner by default: a first full sync, then a plan admins can read', async () => {
    const t = await startTestApp({
      sim: { rooms: roomsWithAShowSoon() },
      env: { SCHEDULER_ENABLED: 'true' },
    });
    apps.push(t);
    await expect
      .poll(() => runsOf(t), { timeout: 10_000, interval: 250 })
      .toEqual([expect.objectContaining({ trigger: 'PLANNER', kind: 'FULL' })]);
    const store = createFreshnessStore(t.app.redis, t.appId);
    await expect.poll(() => store.loadPlan(), { timeout: 10_000 }).not.toBeNull();

    const answer = await t.gql<{
      freshness: {
        mode: string;
        budget: { left: number; reserve: number };
        hotRooms: Array<{ roomId: number; reason: string }>;
      };
    }>(
      'query { freshness { mode budget { left reserve } hotRooms { roomId reason } next { kind at } } }',
      {},
      { admin: true },
    );
    expect(answer.data?.freshness).toMatchObject({
      mode: 'ADAPTIVE',
      budget: { reserve: 50 },
      hotRooms: [{ roomId: 9001, reason: 'STARTING' }],
    });
    expect(answer.data!.freshness.budget.left).toBeGreaterThan(0);

    const anonymous = await t.gql('query { freshness { mode } }');
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('keeps the fixed schedule with SYNC_MODE=cron: cron runs, no planner', async () => {
    const t = await startTestApp({
      sim: { rooms: roomsFixture(3) },
      env: { SCHEDULER_ENABLED: 'true', SYNC_MODE: 'cron', SYNC_CRON: '* * * * * *' },
    });
    apps.push(t);
    await expect
      .poll(async () => (await runsOf(t)).length, { timeout: 10_000, interval: 250 })
      .toBeGreaterThan(0);
    expect((await runsOf(t)).every((run) => run.trigger === 'CRON' && run.kind === 'FULL')).toBe(
      true,
    );
    expect(await createFreshnessStore(t.app.redis, t.appId).loadPlan()).toBeNull();
    const answer = await t.gql<{ freshness: { mode: string; next: unknown[] } }>(
      'query { freshness { mode next { kind } } }',
      {},
      { admin: true },
    );
    expect(answer.data?.freshness).toEqual({ mode: 'CRON', next: [] });
  });
});
