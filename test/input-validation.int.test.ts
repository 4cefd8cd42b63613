import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { MAX_BODY_BYTES } from '../src/http/request-body.js';
import { endedRoom, roomsFixture } from './support/fixtures.js';
import { countSyncRuns, snapshotRows } from './support/probes.js';
import {
  PIN_ROOM,
  ROOM,
  ROOMS,
  SYNC_REPLAY,
  SYNC_ROOMS,
  SYNC_RUNS,
  type RoomJson,
} from './support/queries.js';
import { startTestApp, type GraphQLAnswer, type TestApp } from './support/test-app.js';
import { TEST_ADMIN_TOKEN } from './support/test-env.js';

/**
 * Issue 4, "Bad input". Every argument the API takes gets wrong types, out-of-range numbers, huge
 * values, unknown enum values and unknown room ids. What the server answers, as observed:
 * - a variable that cannot be coerced to its declared type: HTTP 400, BAD_USER_INPUT (Apollo),
 *   no `data` at all;
 * - an inline literal of the wrong type: HTTP 400, GRAPHQL_VALIDATION_FAILED, no `data`;
 * - a well-typed value out of our ranges: HTTP 200, BAD_USER_INPUT (our checks), the field null;
 * - an unknown or archived room: `room` null, `pinRoom` / `syncReplay` NOT_FOUND.
 * In every case nothing reaches WeChat and nothing is written (rows, pins, sync runs).
 */

const INT_MAX = 2 ** 31 - 1;
const INT_MIN = -(2 ** 31);
/** Archived by the second setup sync: known to the database, unknown to the API. */
const ARCHIVED_ROOM = 1004;
/** Pinned during setup: a bad pinRoom must leave both pins as they are. */
const PINNED_ROOM = 1001;
const UNKNOWN_ROOM = 999_999;

/** One app per describe: rooms 1000-1003 visible (1001 pinned), 1004 archived, ended room 7. */
function useApp(): () => TestApp {
  let t: TestApp | undefined;
  beforeAll(async () => {
    t = await startTestApp({
      sim: { rooms: [...roomsFixture(5), endedRoom(7)] },
      // Some cases send a wrong admin token on purpose; the lock-out has its own tests.
      env: { ADMIN_LOCKOUT_FAILURES: '1000' },
    });
    const sync = async () => {
      const answer = await t!.gql(SYNC_ROOMS, {}, { admin: true });
      if (answer.errors) throw new Error(`setup sync failed: ${JSON.stringify(answer.errors)}`);
    };
    await sync();
    t.sim.removeRoom(ARCHIVED_ROOM);
    await sync();
    const pin = await t.gql(PIN_ROOM, { roomId: PINNED_ROOM, pinned: true }, { admin: true });
    if (pin.errors) throw new Error(`setup pin failed: ${JSON.stringify(pin.errors)}`);
  });
  afterAll(async () => {
    await t?.close();
  });
  return () => t!;
}

/** Everything a request could have touched: WeChat calls, rows (pins included) and sync runs. */
async function state(t: TestApp) {
  return { wechat: t.sim.stats(), rows: await snapshotRows(t), runs: await countSyncRuns(t) };
}

interface BadInput {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
  admin?: boolean;
  status: 200 | 400;
  code: string;
  /** What `data` must be on a 200 answer (a nullable field's null, or null for the whole). */
  data?: unknown;
  message?: RegExp;
}

/** What a client sees of an answer, reduced to what the cases pin down. */
function seen(answer: GraphQLAnswer<unknown>) {
  return {
    status: answer.status,
    extensions: answer.errors?.map((error) => error.extensions),
    message: answer.errors?.[0]?.message,
    data: 'data' in answer ? answer.data : 'absent',
  };
}

/** The answer a bad input must get: one error with a stable code, no data for the field. */
function refusal(input: BadInput) {
  return {
    status: input.status,
    extensions: [{ code: input.code }],
    message: expect.stringMatching(input.message ?? /\S/),
    // A request refused before execution has no `data` at all.
    data: input.status === 400 ? 'absent' : (input.data ?? null),
  };
}

const send = (t: TestApp, input: BadInput) =>
  t.gql(input.query, input.variables, { admin: input.admin ?? false });

/** A variable Apollo cannot coerce: 400 BAD_USER_INPUT naming the variable, no data. */
const coercion = (
  name: string,
  query: string,
  variables: Record<string, unknown>,
  variable: string,
  admin = false,
): BadInput => ({
  name,
  query,
  variables,
  admin,
  status: 400,
  code: 'BAD_USER_INPUT',
  message: new RegExp(`Variable "\\$${variable}"`),
});

/** A literal in the query text of the wrong type: 400 GRAPHQL_VALIDATION_FAILED, no data. */
const literal = (name: string, query: string, admin = false): BadInput => ({
  name,
  query,
  admin,
  status: 400,
  code: 'GRAPHQL_VALIDATION_FAILED',
});

/** A well-typed value our own checks refuse: 200 BAD_USER_INPUT naming the argument. */
const outOfRange = (
  name: string,
  query: string,
  variables: Record<string, unknown>,
  argument: string,
  options: { admin?: boolean; data?: unknown } = {},
): BadInput => ({
  name,
  query,
  variables,
  admin: options.admin ?? false,
  status: 200,
  code: 'BAD_USER_INPUT',
  data: options.data ?? null,
  message: new RegExp(argument),
});

/** Values that are not a GraphQL Int, whatever the range. */
const NOT_INTS: Array<[string, unknown]> = [
  ['a numeric string', '2'],
  ['a float', 1.5],
  ['a boolean', true],
  ['an object', { value: 1 }],
  ['a list', [1]],
];
/** Integers outside GraphQL's 32-bit Int: refused by coercion, before any resolver. */
const NOT_INT32: Array<[string, number]> = [
  ['2^31', 2 ** 31],
  ['-2^31-1', INT_MIN - 1],
  ['2^53', 2 ** 53],
  ['1e300', 1e300],
];

const intCoercionCases = (
  query: string,
  variable: string,
  extra: Record<string, unknown>,
  admin = false,
): BadInput[] =>
  [...NOT_INTS, ...NOT_INT32].map(([label, value]) =>
    coercion(`${variable} as ${label}`, query, { ...extra, [variable]: value }, variable, admin),
  );

describe('rooms(page, pageSize, status)', () => {
  const app = useApp();

  const cases: BadInput[] = [
    ...intCoercionCases(ROOMS, 'page', {}),
    ...intCoercionCases(ROOMS, 'pageSize', {}),
    outOfRange('page 0', ROOMS, { page: 0 }, 'page must be 1 or more'),
    outOfRange('page -1', ROOMS, { page: -1 }, 'page must be 1 or more'),
    outOfRange('page -2^31', ROOMS, { page: INT_MIN }, 'page must be 1 or more'),
    outOfRange('page null', ROOMS, { page: null }, 'page must be 1 or more'),
    outOfRange('page 2^31-1 (too deep)', ROOMS, { page: INT_MAX }, 'page is too deep'),
    outOfRange('an offset past 1,000,000', ROOMS, { page: 10_002, pageSize: 100 }, 'too deep'),
    outOfRange('pageSize 0', ROOMS, { pageSize: 0 }, 'pageSize must be between 1 and 100'),
    outOfRange('pageSize -1', ROOMS, { pageSize: -1 }, 'pageSize'),
    outOfRange('pageSize 101', ROOMS, { pageSize: 101 }, 'pageSize'),
    outOfRange('pageSize 2^31-1', ROOMS, { pageSize: INT_MAX }, 'pageSize'),
    outOfRange('pageSize -2^31', ROOMS, { pageSize: INT_MIN }, 'pageSize'),
    outOfRange('pageSize null', ROOMS, { pageSize: null }, 'pageSize'),
    coercion('status as an unknown enum value', ROOMS, { status: 'FINISHED' }, 'status'),
    coercion(
      'status with an unknown enum value',
      ROOMS,
      { status: ['LIVE', 'FINISHED'] },
      'status',
    ),
    coercion('status in lower case', ROOMS, { status: ['live'] }, 'status'),
    coercion('status as WeChat codes', ROOMS, { status: [101] }, 'status'),
    coercion('status with a null item', ROOMS, { status: [null] }, 'status'),
    coercion('status with an object item', ROOMS, { status: [{ LIVE: true }] }, 'status'),
    coercion('status as a boolean', ROOMS, { status: true }, 'status'),
    literal('page as a string literal', '{ rooms(page: "2") { totalCount } }'),
    literal('page as a float literal', '{ rooms(page: 1.5) { totalCount } }'),
    literal('pageSize as a boolean literal', '{ rooms(pageSize: true) { totalCount } }'),
    literal('page as an object literal', '{ rooms(page: { n: 1 }) { totalCount } }'),
    literal('page 2^31 as a literal', '{ rooms(page: 2147483648) { totalCount } }'),
    literal('page -2^31-1 as a literal', '{ rooms(page: -2147483649) { totalCount } }'),
    literal('an unknown status literal', '{ rooms(status: [FINISHED]) { totalCount } }'),
    literal('a status literal in lower case', '{ rooms(status: [live]) { totalCount } }'),
    literal('a status given as a string literal', '{ rooms(status: ["LIVE"]) { totalCount } }'),
    literal('an argument the field does not have', '{ rooms(limit: 5) { totalCount } }'),
    {
      ...outOfRange('page null as a literal', '{ rooms(page: null) { totalCount } }', {}, 'page'),
      variables: undefined,
    },
  ];

  it.each(cases)('refuses $name', async (input) => {
    const t = app();
    const before = await state(t);
    expect(seen(await send(t, input))).toEqual(refusal(input));
    expect(await state(t)).toEqual(before);
  });

  it('accepts the boundaries: page 1, pageSize 1 and 100, a null or empty status', async () => {
    const t = app();
    for (const variables of [
      { page: 1, pageSize: 1 },
      { page: 1, pageSize: 100 },
      { page: 10_001, pageSize: 100 },
      { status: null },
      { status: [] },
    ]) {
      const answer = await t.gql<{ rooms: { totalCount: number } }>(ROOMS, variables);
      expect(answer.errors).toBeUndefined();
      expect(answer.data!.rooms.totalCount).toBe(5);
    }
  });

  it('takes a single enum value for the status list, as GraphQL coerces it', async () => {
    const answer = await app().gql<{ rooms: { totalCount: number; items: RoomJson[] } }>(ROOMS, {
      status: 'ENDED',
    });
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.rooms.items.map((room) => room.roomId)).toEqual([7]);
  });

  it('answers a status list of thousands of duplicates like the one value, under the body limit', async () => {
    const t = app();
    const status = Array.from({ length: 12_000 }, () => 'ENDED');
    expect(JSON.stringify({ query: ROOMS, variables: { status } }).length).toBeLessThan(
      MAX_BODY_BYTES,
    );
    const before = await state(t);
    const answer = await t.gql<{ rooms: { totalCount: number } }>(ROOMS, { status });
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.rooms.totalCount).toBe(1);
    expect(await state(t)).toEqual(before);
  });
});

describe('room(roomId)', () => {
  const app = useApp();

  const cases: BadInput[] = [
    ...intCoercionCases(ROOM, 'roomId', {}),
    coercion('roomId null', ROOM, { roomId: null }, 'roomId'),
    coercion('roomId missing', ROOM, {}, 'roomId'),
    outOfRange('roomId 0', ROOM, { roomId: 0 }, 'roomId must be a positive integer', {
      data: { room: null },
    }),
    outOfRange('roomId -1', ROOM, { roomId: -1 }, 'roomId', { data: { room: null } }),
    outOfRange('roomId -2^31', ROOM, { roomId: INT_MIN }, 'roomId', { data: { room: null } }),
    literal('roomId null as a literal', '{ room(roomId: null) { roomId } }'),
    literal('roomId missing from the query', '{ room { roomId } }'),
    literal('roomId as a string literal', '{ room(roomId: "1000") { roomId } }'),
    literal('roomId as a float literal', '{ room(roomId: 1000.0) { roomId } }'),
    literal('roomId 2^31 as a literal', '{ room(roomId: 2147483648) { roomId } }'),
    literal('roomId as an enum-like literal', '{ room(roomId: LIVE) { roomId } }'),
    {
      ...literal(
        'a variable declared with another type',
        'query Q($roomId: String!) { room(roomId: $roomId) { roomId } }',
      ),
      variables: { roomId: '1000' },
    },
  ];

  it.each(cases)('refuses $name', async (input) => {
    const t = app();
    const before = await state(t);
    expect(seen(await send(t, input))).toEqual(refusal(input));
    expect(await state(t)).toEqual(before);
  });

  it.each([
    ['an unknown id', UNKNOWN_ROOM],
    ['the largest Int', INT_MAX],
    ['an archived room', ARCHIVED_ROOM],
  ])('answers null, without an error, for %s', async (_label, roomId) => {
    const t = app();
    const before = await state(t);
    const answer = await t.gql<{ room: RoomJson | null }>(ROOM, { roomId });
    expect(answer.status).toBe(200);
    expect(answer.errors).toBeUndefined();
    expect(answer.data).toEqual({ room: null });
    expect(await state(t)).toEqual(before);
  });

  it('still answers a known room (the control)', async () => {
    const answer = await app().gql<{ room: RoomJson }>(ROOM, { roomId: PINNED_ROOM });
    expect(answer.data!.room).toMatchObject({ roomId: PINNED_ROOM, pinned: true });
  });
});

describe('pinRoom(roomId, pinned)', () => {
  const app = useApp();
  const pin = (roomId: unknown, pinned: unknown) => ({ roomId, pinned });

  const cases: BadInput[] = [
    ...intCoercionCases(PIN_ROOM, 'roomId', { pinned: true }, true),
    coercion('roomId null', PIN_ROOM, pin(null, true), 'roomId', true),
    coercion('roomId missing', PIN_ROOM, { pinned: true }, 'roomId', true),
    ...(
      [
        ['a string', 'true'],
        ['a number', 1],
        ['zero', 0],
        ['an object', { pinned: true }],
        ['a list', [true]],
        ['null', null],
      ] as Array<[string, unknown]>
    ).map(([label, value]) =>
      coercion(`pinned as ${label}`, PIN_ROOM, pin(1000, value), 'pinned', true),
    ),
    coercion('pinned missing', PIN_ROOM, { roomId: 1000 }, 'pinned', true),
    outOfRange('roomId 0', PIN_ROOM, pin(0, true), 'roomId must be a positive integer', {
      admin: true,
    }),
    outOfRange('roomId -1', PIN_ROOM, pin(-1, false), 'roomId', { admin: true }),
    outOfRange('roomId -2^31', PIN_ROOM, pin(INT_MIN, true), 'roomId', { admin: true }),
    literal(
      'pinned as a string literal',
      'mutation { pinRoom(roomId: 1000, pinned: "yes") { pinned } }',
      true,
    ),
    literal(
      'pinned as a number literal',
      'mutation { pinRoom(roomId: 1000, pinned: 1) { pinned } }',
      true,
    ),
    literal(
      'pinned null as a literal',
      'mutation { pinRoom(roomId: 1000, pinned: null) { pinned } }',
      true,
    ),
    literal('pinned missing from the query', 'mutation { pinRoom(roomId: 1000) { pinned } }', true),
    literal(
      'roomId as a string literal',
      'mutation { pinRoom(roomId: "1000", pinned: true) { pinned } }',
      true,
    ),
    ...[UNKNOWN_ROOM, INT_MAX, ARCHIVED_ROOM].map((roomId): BadInput => ({
      name: `room ${roomId} (unknown or archived) with NOT_FOUND`,
      query: PIN_ROOM,
      variables: pin(roomId, true),
      admin: true,
      status: 200,
      code: 'NOT_FOUND',
      message: new RegExp(`Room ${roomId} is not known`),
    })),
  ];

  it.each(cases)('refuses $name', async (input) => {
    const t = app();
    const before = await state(t);
    expect(seen(await send(t, input))).toEqual(refusal(input));
    expect(await state(t)).toEqual(before);
  });

  it('checks the admin token before the arguments: a wrong token gets UNAUTHENTICATED', async () => {
    const t = app();
    const before = await state(t);
    const answer = await t.gql(PIN_ROOM, pin(0, true), { token: `${TEST_ADMIN_TOKEN}-wrong` });
    expect(answer.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHENTICATED' });
    expect(answer.data).toBeNull();
    expect(await state(t)).toEqual(before);
  });
});

describe('syncReplay(roomId)', () => {
  const app = useApp();

  const cases: BadInput[] = [
    ...intCoercionCases(SYNC_REPLAY, 'roomId', {}, true),
    coercion('roomId null', SYNC_REPLAY, { roomId: null }, 'roomId', true),
    coercion('roomId missing', SYNC_REPLAY, {}, 'roomId', true),
    outOfRange('roomId 0', SYNC_REPLAY, { roomId: 0 }, 'roomId must be a positive integer', {
      admin: true,
    }),
    outOfRange('roomId -1', SYNC_REPLAY, { roomId: -1 }, 'roomId', { admin: true }),
    outOfRange('roomId -2^31', SYNC_REPLAY, { roomId: INT_MIN }, 'roomId', { admin: true }),
    literal('roomId as a list literal', 'mutation { syncReplay(roomId: [7]) { roomId } }', true),
    literal(
      'roomId 10^10 as a literal',
      'mutation { syncReplay(roomId: 9999999999) { roomId } }',
      true,
    ),
    literal('roomId null as a literal', 'mutation { syncReplay(roomId: null) { roomId } }', true),
    // Unknown and archived rooms are refused from the database: WeChat is never asked.
    ...[UNKNOWN_ROOM, INT_MAX, ARCHIVED_ROOM].map((roomId): BadInput => ({
      name: `room ${roomId} (unknown or archived) with NOT_FOUND, asking WeChat nothing`,
      query: SYNC_REPLAY,
      variables: { roomId },
      admin: true,
      status: 200,
      code: 'NOT_FOUND',
      message: new RegExp(`Room ${roomId} is not known`),
    })),
  ];

  it.each(cases)('refuses $name', async (input) => {
    const t = app();
    const before = await state(t);
    expect(seen(await send(t, input))).toEqual(refusal(input));
    expect(await state(t)).toEqual(before);
  });
});

describe('syncRuns(limit)', () => {
  const app = useApp();

  const cases: BadInput[] = [
    ...intCoercionCases(SYNC_RUNS, 'limit', {}, true),
    ...[0, -1, 201, INT_MAX, INT_MIN, null].map((limit) =>
      outOfRange(`limit ${limit}`, SYNC_RUNS, { limit }, 'limit must be between 1 and 200', {
        admin: true,
      }),
    ),
    literal('limit as a string literal', '{ syncRuns(limit: "5") { id } }', true),
    literal('limit as a float literal', '{ syncRuns(limit: 1.5) { id } }', true),
    literal('limit 2^31 as a literal', '{ syncRuns(limit: 2147483648) { id } }', true),
  ];

  it.each(cases)('refuses $name', async (input) => {
    const t = app();
    const before = await state(t);
    expect(seen(await send(t, input))).toEqual(refusal(input));
    expect(await state(t)).toEqual(before);
  });

  it('accepts the boundaries 1 and 200', async () => {
    const t = app();
    for (const [limit, runs] of [
      [1, 1],
      [200, 2],
    ]) {
      const answer = await t.gql<{ syncRuns: unknown[] }>(SYNC_RUNS, { limit }, { admin: true });
      expect(answer.errors).toBeUndefined();
      expect(answer.data!.syncRuns).toHaveLength(runs!);
    }
  });
});

describe('huge values and the 100 KiB body limit', () => {
  const app = useApp();

  /** A JSON body of exactly `bytes` bytes whose one variable is a long string. */
  function bodyOf(bytes: number, query: string, name: string, extra = {}): string {
    const shell = JSON.stringify({ query, variables: { ...extra, [name]: '' } });
    const body = JSON.stringify({
      query,
      variables: { ...extra, [name]: 'x'.repeat(bytes - Buffer.byteLength(shell)) },
    });
    expect(Buffer.byteLength(body)).toBe(bytes);
    return body;
  }

  async function post(t: TestApp, body: string, admin = false) {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (admin) headers.authorization = `Bearer ${TEST_ADMIN_TOKEN}`;
    const response = await fetch(t.url, { method: 'POST', headers, body });
    return {
      status: response.status,
      answer: (await response.json()) as Omit<GraphQLAnswer<unknown>, 'status'>,
    };
  }

  it('parses a body of exactly 100 KiB and refuses its string roomId with BAD_USER_INPUT', async () => {
    const t = app();
    const before = await state(t);
    const { status, answer } = await post(t, bodyOf(MAX_BODY_BYTES, ROOM, 'roomId'));
    expect(status).toBe(400);
    expect(answer.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT' });
    expect(answer).not.toHaveProperty('data');
    expect(await state(t)).toEqual(before);
  });

  it('refuses an admin mutation with a 100 KiB string for pinned, pinning nothing', async () => {
    const t = app();
    const before = await state(t);
    const body = bodyOf(MAX_BODY_BYTES - 1, PIN_ROOM, 'pinned', { roomId: 1000 });
    const { status, answer } = await post(t, body, true);
    expect(status).toBe(400);
    expect(answer.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT' });
    expect(await state(t)).toEqual(before);
  });

  it('refuses one byte more with HTTP 413 before parsing it', async () => {
    const t = app();
    const before = await state(t);
    for (const [query, name, admin] of [
      [ROOM, 'roomId', false],
      [PIN_ROOM, 'pinned', true],
    ] as const) {
      const { status, answer } = await post(t, bodyOf(MAX_BODY_BYTES + 1, query, name), admin);
      expect(status).toBe(413);
      expect(answer.errors?.[0]?.extensions).toEqual({ code: 'BAD_REQUEST' });
      expect(answer).not.toHaveProperty('data');
    }
    expect(await state(t)).toEqual(before);
  });

  it('refuses a huge unknown enum value in the status list with BAD_USER_INPUT', async () => {
    const t = app();
    const before = await state(t);
    const input = coercion('a 90 KB status', ROOMS, { status: ['X'.repeat(90_000)] }, 'status');
    expect(seen(await send(t, input))).toEqual(refusal(input));
    expect(await state(t)).toEqual(before);
  });

  // graphql-js quotes a bad variable's whole value, twice: the answer must not reflect 90 KB back.
  it('does not echo a huge bad variable back in the error message', async () => {
    const t = app();
    const input = coercion('a 90 KB roomId', ROOM, { roomId: 'x'.repeat(90_000) }, 'roomId');
    const answer = await send(t, input);
    expect(seen(answer)).toEqual(refusal(input));
    expect(JSON.stringify(answer).length).toBeLessThan(4_096);
  });
});
