import { afterEach, describe, expect, it } from 'vitest';

import type { SimFault } from '../src/wechat-sim/sim.server.js';
import { endedRoom, roomsFixture } from './support/fixtures.js';
import {
  countSyncRuns,
  expectQuotaGap,
  latestRun,
  snapshotRows,
  visibleRoomIds,
  wechatRoomIds,
} from './support/probes.js';
import { ROOM, SYNC_ROOMS, type RoomJson, type SyncReportJson } from './support/queries.js';
import { startTestApp, type GraphQLAnswer, type TestApp } from './support/test-app.js';

/**
 * Issue 4, "Faults from WeChat". Every scenario starts from a database that already mirrors 120
 * rooms, then changes WeChat's list (one room renamed, one gone) so that a sync that applies is
 * told apart from one that applies nothing, injects the fault and syncs again. It checks:
 * - the outcome: applied correctly, or failed with a typed error recorded in `sync_runs`;
 * - nothing half-applied and nothing archived wrongly (rows compared with a snapshot);
 * - retries bounded (list calls WeChat received, exactly);
 * - the quota counter true (the service's count against the simulator's).
 *
 * About the quota: the service counts every getliveinfo attempt before sending it
 * (docs/architecture.md, "Quota"), because it cannot know whether WeChat counted a call it got no
 * usable answer to. So its count equals the simulator's except for attempts the simulator answered
 * without counting: HTTP error pages, reset connections, rejected tokens and 45009. Each case states
 * that gap exactly.
 */

const ROOM_COUNT = 120;
/** Renamed in WeChat after the first sync: an applied sync shows the new name. */
const RENAMED_ROOM = 1000;
const NEW_NAME = '改名了 renamed during the faulted sync';
/** Removed from WeChat after the first sync: an applied sync archives it, a failed one keeps it. */
const GONE_ROOM = 1119;
/** 119 rooms in pages of 50: the clean faulted sync reads three pages. */
const CLEAN_LIST_CALLS = 3;

let current: TestApp | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

interface Arranged {
  t: TestApp;
  /** Every stored row after the first sync. */
  before: unknown[];
  /** Rooms visible after the first sync (all 120). */
  visibleBefore: number[];
  runsBefore: number;
}

/** A service that mirrors 120 rooms, with WeChat's list then changed and the counters reset. */
async function arrange(env: Record<string, string> = {}): Promise<Arranged> {
  const t = await startTestApp({ sim: { rooms: roomsFixture(ROOM_COUNT) }, env });
  current = t;
  const first = await t.gql<{ syncRooms: SyncReportJson }>(SYNC_ROOMS, {}, { admin: true });
  expect(first.errors).toBeUndefined();
  expect(first.data!.syncRooms).toMatchObject({ roomsAdded: ROOM_COUNT, listCalls: 3 });
  await expectQuotaGap(t, 0);
  t.sim.updateRoom(RENAMED_ROOM, { name: NEW_NAME });
  t.sim.removeRoom(GONE_ROOM);
  t.sim.resetStats();
  const visibleBefore = await visibleRoomIds(t);
  expect(visibleBefore).toHaveLength(ROOM_COUNT);
  return { t, before: await snapshotRows(t), visibleBefore, runsBefore: await countSyncRuns(t) };
}

const syncRooms = (t: TestApp) =>
  t.gql<{ syncRooms: SyncReportJson }>(SYNC_ROOMS, {}, { admin: true });

async function roomNamed(t: TestApp, roomId: number): Promise<RoomJson | null> {
  const answer = await t.gql<{ room: RoomJson | null }>(ROOM, { roomId });
  expect(answer.errors).toBeUndefined();
  return answer.data!.room;
}

/** WeChat received exactly `calls` list calls (polled: a parallel page may still be arriving). */
async function expectListCalls(t: TestApp, calls: number): Promise<void> {
  await expect.poll(() => t.sim.stats().list, { timeout: 1_000, interval: 20 }).toBe(calls);
  // Nothing keeps calling after the sync answered.
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(t.sim.stats().list).toBe(calls);
}

/** The faulted sync applied WeChat's current list: every listed room visible, the gone one archived. */
async function expectApplied(
  a: Arranged,
  answer: GraphQLAnswer<{ syncRooms: SyncReportJson }>,
  expected: { listCalls: number; report?: Partial<SyncReportJson> },
): Promise<void> {
  const { t } = a;
  expect(answer.errors).toBeUndefined();
  expect(answer.data!.syncRooms).toMatchObject({
    roomsAdded: 0,
    roomsUpdated: 1,
    roomsArchived: 1,
    roomsRestored: 0,
    listCalls: expected.listCalls,
    ...expected.report,
  });
  await expectListCalls(t, expected.listCalls);
  expect(await visibleRoomIds(t)).toEqual(wechatRoomIds(t));
  expect((await roomNamed(t, RENAMED_ROOM))?.name).toBe(NEW_NAME);
  expect(await roomNamed(t, GONE_ROOM)).toBeNull();
  expect(await latestRun(t)).toMatchObject({
    outcome: 'SUCCEEDED',
    errorCode: null,
    wechatErrcode: null,
    listCalls: expected.listCalls,
  });
  expect(await countSyncRuns(t)).toBe(a.runsBefore + 1);
}

interface Failure {
  code: string;
  errcode?: number;
  /** A part of the message the client and the run record both carry. */
  message?: string | RegExp;
}

/** A message part as a pattern: text literally, any non-empty message when none is given. */
const pattern = (part: string | RegExp | undefined): RegExp =>
  part === undefined
    ? /\S/
    : typeof part === 'string'
      ? new RegExp(part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      : part;

/** What the admin client saw of a failed sync. */
const seenByClient = (answer: GraphQLAnswer<unknown>) => ({
  status: answer.status,
  data: answer.data ?? null,
  errors: answer.errors?.map((error) => ({ extensions: error.extensions, message: error.message })),
});

/** A failed sync as the client must see it: one typed error, WeChat's errcode when it gave one. */
const failedSync = (failure: Failure) => ({
  status: 200,
  data: null,
  errors: [
    {
      extensions:
        failure.errcode === undefined
          ? { code: failure.code }
          : { code: failure.code, errcode: failure.errcode },
      message: expect.stringMatching(pattern(failure.message)),
    },
  ],
});

/** The faulted sync (already seen to fail as `failure`) recorded it and changed no row. */
async function expectNothingApplied(
  a: Arranged,
  answer: GraphQLAnswer<unknown>,
  failure: Failure & { listCalls: number },
): Promise<void> {
  const { t } = a;
  await expectListCalls(t, failure.listCalls);
  expect(await snapshotRows(t)).toEqual(a.before);
  expect(await visibleRoomIds(t)).toEqual(a.visibleBefore);
  const run = await latestRun(t);
  expect(run).toMatchObject({
    outcome: 'FAILED',
    errorCode: failure.code,
    wechatErrcode: failure.errcode ?? null,
    roomsAdded: 0,
    roomsUpdated: 0,
    roomsArchived: 0,
    roomsRestored: 0,
    listCalls: failure.listCalls,
  });
  expect(run.errorMessage).toBe(answer.errors![0]!.message);
  expect(await countSyncRuns(t)).toBe(a.runsBefore + 1);
}

interface FaultCase {
  name: string;
  faults: SimFault[];
  /** List calls WeChat must receive during the faulted sync: the retry bound, exactly. */
  listCalls: number;
  /** Attempts the simulator answered without counting them (see the note at the top). */
  uncounted: number;
  /** Omitted: the sync completes and applies everything. */
  failure?: Failure;
}

type WithoutEndpoint<F> = F extends unknown ? Omit<F, 'endpoint'> : never;
type ListFault = WithoutEndpoint<SimFault>;
/** A fault on list-mode getliveinfo calls. */
const list = (fault: ListFault): SimFault => ({ ...fault, endpoint: 'list' }) as SimFault;

/** The hang outlasts WECHAT_TIMEOUT_MS (2000 in the test app), so the service gives up on it. */
const LONG_HANG_MS = 2_500;

const transientCases: FaultCase[] = [
  {
    name: 'a hang longer than the timeout on the first page is abandoned and retried',
    faults: [list({ kind: 'hang', ms: LONG_HANG_MS })],
    listCalls: 4,
    uncounted: 0,
  },
  {
    name: 'HTTP 500 on the first page is retried',
    faults: [list({ kind: 'http', status: 500 })],
    listCalls: 4,
    uncounted: 1,
  },
  {
    name: 'HTTP 502 then 503 on the first page: two retries, within the budget of three attempts',
    faults: [list({ kind: 'http', status: 502 }), list({ kind: 'http', status: 503 })],
    listCalls: 5,
    uncounted: 2,
  },
  {
    name: 'HTTP 504 twice on the later pages (read in parallel): each failed attempt retried',
    faults: [list({ kind: 'http', status: 504, skip: 1, times: 2 })],
    listCalls: 5,
    uncounted: 2,
  },
  {
    name: 'a burst of two -1 (system busy), fewer than the retry budget',
    faults: [list({ kind: 'errcode', errcode: -1, times: 2 })],
    listCalls: 5,
    uncounted: 0,
  },
  {
    name: '-1 on a later page is retried',
    faults: [list({ kind: 'errcode', errcode: -1, skip: 1 })],
    listCalls: 4,
    uncounted: 0,
  },
  {
    name: '9410001 (WeChat failed to read rooms) twice',
    faults: [list({ kind: 'errcode', errcode: 9410001, times: 2 })],
    listCalls: 5,
    uncounted: 0,
  },
  {
    name: '9410002 (WeChat failed to read goods) on a later page',
    faults: [list({ kind: 'errcode', errcode: 9410002, skip: 1 })],
    listCalls: 4,
    uncounted: 0,
  },
  {
    name: '45011 (per-minute limit) once: waits, then completes',
    faults: [list({ kind: 'errcode', errcode: 45011 })],
    listCalls: 4,
    uncounted: 0,
  },
  {
    name: '45011 twice: waits twice, then completes',
    faults: [list({ kind: 'errcode', errcode: 45011, times: 2 })],
    listCalls: 5,
    uncounted: 0,
  },
  {
    name: 'a truncated (malformed JSON) answer is retried',
    faults: [list({ kind: 'malformed' })],
    listCalls: 4,
    uncounted: 0,
  },
  {
    name: 'a reset connection is retried',
    faults: [list({ kind: 'reset-connection' })],
    listCalls: 4,
    uncounted: 1,
  },
  {
    name: 'a later page shorter than promised makes a second full pass',
    faults: [list({ kind: 'short-page', rows: 10, skip: 1 })],
    listCalls: CLEAN_LIST_CALLS + 3,
    uncounted: 0,
  },
  {
    name: 'a short first page is not trusted as the page size: the list is read again',
    faults: [list({ kind: 'short-page', rows: 10 })],
    listCalls: 1 + 3,
    uncounted: 0,
  },
];

const failingCases: FaultCase[] = [
  {
    name: 'a hang on every attempt fails UPSTREAM_UNAVAILABLE after three attempts',
    faults: [list({ kind: 'hang', ms: LONG_HANG_MS, times: 3 })],
    listCalls: 3,
    uncounted: 0,
    failure: { code: 'UPSTREAM_UNAVAILABLE', message: /did not answer within 2000 ms/ },
  },
  {
    name: 'HTTP 500 on every attempt fails UPSTREAM_UNAVAILABLE after three attempts',
    faults: [list({ kind: 'http', status: 500, times: 3 })],
    listCalls: 3,
    uncounted: 3,
    failure: { code: 'UPSTREAM_UNAVAILABLE', message: /HTTP 500/ },
  },
  {
    name: 'HTTP 404 (not a server error) is not retried',
    faults: [list({ kind: 'http', status: 404 })],
    listCalls: 1,
    uncounted: 1,
    failure: { code: 'UPSTREAM_UNAVAILABLE', message: /HTTP 404/ },
  },
  {
    name: 'a burst of -1 as long as the retry budget fails WECHAT_ERROR -1',
    faults: [list({ kind: 'errcode', errcode: -1, times: 3 })],
    listCalls: 3,
    uncounted: 0,
    failure: { code: 'WECHAT_ERROR', errcode: -1 },
  },
  {
    name: 'a burst of -1 longer than the retry budget stops at three attempts',
    faults: [list({ kind: 'errcode', errcode: -1, times: 10 })],
    listCalls: 3,
    uncounted: 0,
    failure: { code: 'WECHAT_ERROR', errcode: -1 },
  },
  {
    name: '9410001 on every attempt fails WECHAT_ERROR 9410001',
    faults: [list({ kind: 'errcode', errcode: 9410001, times: 3 })],
    listCalls: 3,
    uncounted: 0,
    failure: { code: 'WECHAT_ERROR', errcode: 9410001 },
  },
  {
    name: '9410002 on every attempt fails WECHAT_ERROR 9410002',
    faults: [list({ kind: 'errcode', errcode: 9410002, times: 3 })],
    listCalls: 3,
    uncounted: 0,
    failure: { code: 'WECHAT_ERROR', errcode: 9410002 },
  },
  {
    name: '45011 on every attempt fails WECHAT_ERROR 45011 after three attempts',
    faults: [list({ kind: 'errcode', errcode: 45011, times: 3 })],
    listCalls: 3,
    uncounted: 0,
    failure: { code: 'WECHAT_ERROR', errcode: 45011 },
  },
  {
    name: 'malformed JSON on every attempt fails UPSTREAM_UNAVAILABLE',
    faults: [list({ kind: 'malformed', times: 3 })],
    listCalls: 3,
    uncounted: 0,
    failure: { code: 'UPSTREAM_UNAVAILABLE', message: /not JSON/ },
  },
  {
    name: 'a reset connection on every attempt fails UPSTREAM_UNAVAILABLE',
    faults: [list({ kind: 'reset-connection', times: 3 })],
    listCalls: 3,
    uncounted: 3,
    failure: { code: 'UPSTREAM_UNAVAILABLE', message: /could not be reached/ },
  },
  {
    name: 'a page shorter than promised on every pass fails LIST_INCOMPLETE after three passes',
    faults: [list({ kind: 'short-page', rows: 10, times: 100 })],
    listCalls: 3,
    uncounted: 0,
    failure: { code: 'LIST_INCOMPLETE', message: /3 reads/ },
  },
  ...(['roomid', 'live_status', 'start_time'] as const).flatMap((field): FaultCase[] => [
    {
      name: `a later page missing ${field} fails WECHAT_BAD_RESPONSE naming it, without retrying`,
      faults: [list({ kind: 'drop-field', field, skip: 1 })],
      listCalls: 3,
      uncounted: 0,
      failure: { code: 'WECHAT_BAD_RESPONSE', message: `room_info[0].${field}` },
    },
    {
      name: `a later page with a mistyped ${field} fails WECHAT_BAD_RESPONSE naming it`,
      faults: [list({ kind: 'mistype-field', field, skip: 1 })],
      listCalls: 3,
      uncounted: 0,
      failure: { code: 'WECHAT_BAD_RESPONSE', message: `room_info[0].${field}` },
    },
  ]),
  {
    name: 'a first page without the top-level total fails WECHAT_BAD_RESPONSE naming it',
    faults: [list({ kind: 'drop-field', field: 'total' })],
    listCalls: 1,
    uncounted: 0,
    failure: { code: 'WECHAT_BAD_RESPONSE', message: '"total"' },
  },
  {
    name: 'a later page with a mistyped total fails WECHAT_BAD_RESPONSE naming it',
    faults: [list({ kind: 'mistype-field', field: 'total', skip: 1 })],
    listCalls: 3,
    uncounted: 0,
    failure: { code: 'WECHAT_BAD_RESPONSE', message: '"total"' },
  },
];

describe('transient WeChat faults within the retry budget: the sync completes', () => {
  it.each(transientCases)('$name', async ({ faults, listCalls, uncounted }) => {
    const a = await arrange();
    for (const fault of faults) a.t.sim.injectFault(fault);
    const answer = await syncRooms(a.t);
    expect(answer.errors).toBeUndefined();
    await expectApplied(a, answer, { listCalls });
    expect(a.t.sim.faults()).toEqual([]);
    await expectQuotaGap(a.t, uncounted);
  });
});

describe('WeChat faults the sync cannot get past: typed failure, nothing applied', () => {
  it.each(failingCases)('$name', async ({ faults, listCalls, uncounted, failure }) => {
    const a = await arrange();
    for (const fault of faults) a.t.sim.injectFault(fault);
    const answer = await syncRooms(a.t);
    expect(seenByClient(answer)).toEqual(failedSync(failure!));
    await expectNothingApplied(a, answer, { ...failure!, listCalls });
    await expectQuotaGap(a.t, uncounted);
  });
});

describe('9410003 on a list page', () => {
  // In list mode 9410003 means WeChat failed to read rooms (transient), not "no replay yet":
  // taken for an empty list at start=0 it would archive every stored room.
  it('retries it on the first page instead of taking it for an empty list', async () => {
    const a = await arrange();
    a.t.sim.injectFault(list({ kind: 'errcode', errcode: 9410003 }));
    const answer = await syncRooms(a.t);
    expect(answer.errors).toBeUndefined();
    await expectApplied(a, answer, { listCalls: 4 });
    await expectQuotaGap(a.t, 0);
  });

  it('on a later page never archives a room WeChat still lists', async () => {
    const a = await arrange();
    a.t.sim.injectFault(list({ kind: 'errcode', errcode: 9410003, skip: 1 }));
    const answer = await syncRooms(a.t);
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.syncRooms).toMatchObject({
      roomsAdded: 0,
      roomsUpdated: 1,
      roomsArchived: 1,
    });
    expect(await visibleRoomIds(a.t)).toEqual(wechatRoomIds(a.t));
    expect(a.t.sim.stats().list).toBeGreaterThanOrEqual(4);
    expect(a.t.sim.stats().list).toBeLessThanOrEqual(CLEAN_LIST_CALLS * 2);
    await expectQuotaGap(a.t, 0);
  });
});

describe('45011 (per-minute limit)', () => {
  it('waits for the next minute before the retry, once per 45011', async () => {
    const a = await arrange();
    a.t.sim.injectFault(list({ kind: 'errcode', errcode: 45011, times: 2 }));
    const answer = await syncRooms(a.t);
    expect(answer.errors).toBeUndefined();
    // The test app's wait is 50 ms instead of the rest of the minute (see test-app.ts).
    const waits = a.t
      .logs()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { msg: string; delayMs?: number })
      .filter((line) => line.msg.startsWith('WeChat per-minute limit (45011)'));
    expect(waits.map((line) => line.delayMs)).toEqual([50, 50]);
  });
});

describe('45009 (daily quota used up) mid-sync', () => {
  const QUOTA_FAILURE: Failure = { code: 'QUOTA_EXHAUSTED', errcode: 45009 };

  it('fails QUOTA_EXHAUSTED on a later page without retrying, applies nothing and spends the day', async () => {
    const a = await arrange();
    a.t.sim.injectFault(list({ kind: 'errcode', errcode: 45009, skip: 1 }));
    const answer = await syncRooms(a.t);
    expect(seenByClient(answer)).toEqual(failedSync(QUOTA_FAILURE));
    await expectNothingApplied(a, answer, { ...QUOTA_FAILURE, listCalls: 3 });
    // The 45009 answer is the one attempt WeChat refused without counting.
    await expectQuotaGap(a.t, 1);
    const quota = await a.t.gql<{ quota: { remaining: number } }>(
      '{ quota { remaining } }',
      {},
      { admin: true },
    );
    expect(quota.data!.quota.remaining).toBe(0);
  });

  it('fails QUOTA_EXHAUSTED when WeChat runs out for real between pages', async () => {
    const a = await arrange();
    // The service read a limit of 500 at its first sync; WeChat now allows just two more calls.
    a.t.sim.setQuota({ dailyLimit: a.t.sim.quota().used + 2 });
    const answer = await syncRooms(a.t);
    expect(seenByClient(answer)).toEqual(failedSync(QUOTA_FAILURE));
    await expectNothingApplied(a, answer, { ...QUOTA_FAILURE, listCalls: 3 });
    expect(a.t.sim.quota().remain).toBe(0);
    await expectQuotaGap(a.t, 1);
    const runsAfter = await countSyncRuns(a.t);
    // The day is spent: the next sync is refused before anything reaches WeChat.
    const again = await syncRooms(a.t);
    expect(again.errors?.[0]?.extensions).toEqual({ code: 'QUOTA_EXHAUSTED', errcode: 45009 });
    expect(a.t.sim.stats().list).toBe(3);
    expect(await countSyncRuns(a.t)).toBe(runsAfter + 1);
    expect(await snapshotRows(a.t)).toEqual(a.before);
  });
});

describe('the access token rejected mid-sync', () => {
  it('replaces an invalidated token once and completes', async () => {
    // One page at a time, so exactly one call carries the dead token.
    const a = await arrange({ SYNC_LIST_CONCURRENCY: '1' });
    a.t.sim.onListCall((call) => {
      if (call.index === 1) a.t.sim.invalidateTokens();
    });
    const answer = await syncRooms(a.t);
    expect(answer.errors).toBeUndefined();
    await expectApplied(a, answer, {
      listCalls: CLEAN_LIST_CALLS + 1,
      report: { tokenCalls: 1 },
    });
    expect(a.t.sim.stats()).toMatchObject({ stableToken: 1, forceRefresh: 0 });
    // WeChat refused the call with the dead token before counting it; the service counted it.
    await expectQuotaGap(a.t, 1);
  });

  it('retries a one-off 40001 with the token WeChat still issues, spending no force_refresh', async () => {
    const a = await arrange();
    a.t.sim.injectFault(list({ kind: 'errcode', errcode: 40001 }));
    const answer = await syncRooms(a.t);
    expect(answer.errors).toBeUndefined();
    // One plain token fetch (it returns the same token), one retry of the rejected page.
    await expectApplied(a, answer, {
      listCalls: CLEAN_LIST_CALLS + 1,
      report: { tokenCalls: 1 },
    });
    expect(a.t.sim.stats()).toMatchObject({ stableToken: 1, forceRefresh: 0 });
    await expectQuotaGap(a.t, 0);
  });

  it('gives up after two token replacements when every token is rejected, applying nothing', async () => {
    const a = await arrange();
    a.t.sim.injectFault(list({ kind: 'errcode', errcode: 40001, times: 10 }));
    const answer = await syncRooms(a.t);
    const failure: Failure = { code: 'WECHAT_ERROR', errcode: 40001 };
    expect(seenByClient(answer)).toEqual(failedSync(failure));
    // The first attempt, a retry with the freshly fetched (same) token, one with a force-refreshed
    // token: at most two extra calls, one force_refresh.
    await expectNothingApplied(a, answer, { ...failure, listCalls: 3 });
    expect(a.t.sim.stats().forceRefresh).toBe(1);
    // Injected errcodes are counted by the simulator like accepted calls.
    await expectQuotaGap(a.t, 0);
  });

  // Token replacements have their own bound and must not use up the three transient attempts.
  it('does not let a token replacement use up the transient-retry budget', async () => {
    const a = await arrange();
    a.t.sim.invalidateTokens();
    // The first call meets the dead token; the next two meet "system busy".
    a.t.sim.injectFault(list({ kind: 'errcode', errcode: -1, skip: 1, times: 2 }));
    const answer = await syncRooms(a.t);
    expect(answer.errors).toBeUndefined();
    await expectApplied(a, answer, {
      listCalls: 1 + 3 + 2,
      report: { tokenCalls: 1 },
    });
    await expectQuotaGap(a.t, 1);
  });

  // Fetching the replacement token fails like any call (a 502) and is retried the same way.
  it('retries a transient failure of the token endpoint while replacing a token', async () => {
    const a = await arrange({ SYNC_LIST_CONCURRENCY: '1' });
    a.t.sim.onListCall((call) => {
      if (call.index === 1) a.t.sim.invalidateTokens();
    });
    a.t.sim.injectFault({ endpoint: 'stable_token', kind: 'http', status: 502 });
    const answer = await syncRooms(a.t);
    expect(answer.errors).toBeUndefined();
    await expectApplied(a, answer, { listCalls: CLEAN_LIST_CALLS + 1 });
    await expectQuotaGap(a.t, 1);
  });
});

describe('the room list changing between pages', () => {
  it('reads the list again when a room is created mid-sync, and stores it', async () => {
    const a = await arrange();
    const created = roomsFixture(1, { start_time: 1_900_000_000, end_time: 1_900_003_600 }, 5000);
    a.t.sim.onListCall((call) => {
      if (call.index === 1) a.t.sim.addRoom(created[0]!);
    });
    const answer = await syncRooms(a.t);
    expect(answer.errors).toBeUndefined();
    await expectApplied(a, answer, {
      listCalls: CLEAN_LIST_CALLS * 2,
      report: { roomsAdded: 1 },
    });
    expect((await roomNamed(a.t, 5000))?.roomId).toBe(5000);
    await expectQuotaGap(a.t, 0);
  });

  /** Deletes room 1100 once the first page (which holds it) has been read. */
  const deleteFirstPageRoomMidSync = (t: TestApp) =>
    t.sim.onListCall((call) => {
      // 1100 sits on the first page: deleting it shifts every later offset by one.
      if (call.index === 1) t.sim.removeRoom(1100);
    });

  it('reads the list again when a room is deleted mid-sync and loses no listed room', async () => {
    const a = await arrange();
    deleteFirstPageRoomMidSync(a.t);
    const answer = await syncRooms(a.t);
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.syncRooms).toMatchObject({
      roomsUpdated: 1,
      listCalls: CLEAN_LIST_CALLS * 2,
    });
    await expectListCalls(a.t, CLEAN_LIST_CALLS * 2);
    const visible = await visibleRoomIds(a.t);
    for (const id of wechatRoomIds(a.t)) expect(visible).toContain(id);
    expect(visible).not.toContain(GONE_ROOM);
    expect((await roomNamed(a.t, RENAMED_ROOM))?.name).toBe(NEW_NAME);
    await expectQuotaGap(a.t, 0);
  });

  // A complete pass is a full snapshot: a room read in pass 1 and deleted before pass 2 is gone.
  it('archives the room deleted mid-sync, as the complete second pass shows', async () => {
    const a = await arrange();
    deleteFirstPageRoomMidSync(a.t);
    const answer = await syncRooms(a.t);
    expect(answer.errors).toBeUndefined();
    await expectApplied(a, answer, {
      listCalls: CLEAN_LIST_CALLS * 2,
      report: { roomsArchived: 2 },
    });
    expect(await roomNamed(a.t, 1100)).toBeNull();
    await expectQuotaGap(a.t, 0);
  });

  it('fails LIST_INCOMPLETE after three passes when the list moves on every call, applying nothing', async () => {
    const a = await arrange();
    a.t.sim.onListCall((call) => {
      a.t.sim.addRoom(
        roomsFixture(1, { start_time: 1_900_000_000 + call.index }, 6000 + call.index)[0]!,
      );
    });
    const answer = await syncRooms(a.t);
    const failure: Failure = { code: 'LIST_INCOMPLETE', message: /kept changing during 3 reads/ };
    expect(seenByClient(answer)).toEqual(failedSync(failure));
    await expectNothingApplied(a, answer, { ...failure, listCalls: CLEAN_LIST_CALLS * 3 });
    await expectQuotaGap(a.t, 0);
  });
});

describe('faults on replay calls during a sync', () => {
  const replays = [
    {
      create_time: '2026-11-11T03:49:55Z',
      expire_time: '2027-11-11T03:49:55Z',
      media_url: 'https://vod.example/a.mp4',
    },
  ];

  it('postpones only the room whose replay calls keep failing; the sync still applies', async () => {
    const t = await startTestApp({
      sim: { rooms: [endedRoom(1, { replays }), endedRoom(2, { replays })] },
      // One replay call at a time: room 1 (ended last) is asked first and meets every fault.
      env: { SYNC_REPLAY_CONCURRENCY: '1' },
    });
    current = t;
    t.sim.injectFault({ endpoint: 'replay', kind: 'http', status: 500, times: 3 });
    const answer = await syncRooms(t);
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.syncRooms).toMatchObject({
      roomsAdded: 2,
      replaysFetched: 1,
      replayCalls: 4,
      replaysDeferred: 0,
    });
    expect(t.sim.stats().replay).toBe(4);
    expect((await roomNamed(t, 1))?.replays).toEqual([]);
    expect((await roomNamed(t, 2))?.replays).toHaveLength(1);
    const [checked] = (await t.app.db.pool.query(
      'select room_id, replays_checked_at from rooms where app_id = ? order by room_id',
      [t.appId],
    )) as unknown as [Array<{ room_id: number; replays_checked_at: Date | null }>];
    expect(checked.map((row) => row.replays_checked_at !== null)).toEqual([true, true]);
    await expectQuotaGap(t, 3);
  });

  it('on 45009 during replays, applies the list and leaves the other replays for a later day', async () => {
    const t = await startTestApp({
      sim: { rooms: [endedRoom(1, { replays }), endedRoom(2, { replays }), endedRoom(3)] },
      env: { SYNC_REPLAY_CONCURRENCY: '1' },
    });
    current = t;
    t.sim.injectFault({ endpoint: 'replay', kind: 'errcode', errcode: 45009 });
    const answer = await syncRooms(t);
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.syncRooms).toMatchObject({
      roomsAdded: 3,
      replaysFetched: 0,
      replayCalls: 1,
      replaysDeferred: 3,
    });
    expect(t.sim.stats().replay).toBe(1);
    expect(await visibleRoomIds(t)).toEqual([1, 2, 3]);
    expect(await latestRun(t)).toMatchObject({ outcome: 'SUCCEEDED', replayCalls: 1 });
    const quota = await t.gql<{ quota: { remaining: number } }>(
      '{ quota { remaining } }',
      {},
      { admin: true },
    );
    expect(quota.data!.quota.remaining).toBe(0);
    // The 45009 answer is the one attempt WeChat refused without counting.
    await expectQuotaGap(t, 1);
  });
});
