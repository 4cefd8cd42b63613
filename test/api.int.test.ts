import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { endedRoom, roomsFixture } from './support/fixtures.js';
import {
  PIN_ROOM,
  QUOTA,
  ROOM,
  ROOMS,
  SYNC_REPLAY,
  SYNC_ROOMS,
  SYNC_RUNS,
  type RoomJson,
} from './support/queries.js';
import { startTestApp, type TestApp } from './support/test-app.js';

type Page = { rooms: { items: RoomJson[]; totalCount: number; page: number; pageSize: number } };

let t: TestApp;
beforeAll(async () => {
  // 25 not-started rooms, 1000..1024 (1024 newest), plus two ended ones with older start times.
  t = await startTestApp({
    sim: {
      rooms: [
        ...roomsFixture(25),
        endedRoom(7, { start_time: 1_600_000_000 }),
        endedRoom(8, { start_time: 1_600_000_000 }),
      ],
    },
    // These tests send many wrong tokens on purpose; the lock-out has its own test.
    env: {
      DEFAULT_ANCHOR_IMG: 'https://cdn.example/default-anchor.png',
      ADMIN_LOCKOUT_FAILURES: '1000',
    },
  });
  const answer = await t.gql(SYNC_ROOMS, {}, { admin: true });
  if (answer.errors) throw new Error(`setup sync failed: ${JSON.stringify(answer.errors)}`);
});
afterAll(async () => {
  await t.close();
});

describe('rooms query', () => {
  it('pages with totalCount, newest start time first', async () => {
    const first = await t.gql<Page>(ROOMS, { page: 1, pageSize: 10 });
    expect(first.data!.rooms).toMatchObject({ totalCount: 27, page: 1, pageSize: 10 });
    expect(first.data!.rooms.items.map((room) => room.roomId)).toEqual([
      1024, 1023, 1022, 1021, 1020, 1019, 1018, 1017, 1016, 1015,
    ]);
    const last = await t.gql<Page>(ROOMS, { page: 3, pageSize: 10 });
    // Equal start times fall back to room id, newest first.
    expect(last.data!.rooms.items.map((room) => room.roomId)).toEqual([
      1004, 1003, 1002, 1001, 1000, 8, 7,
    ]);
  });

  it('uses page 1 and pageSize 10 by default', async () => {
    const answer = await t.gql<Page>('{ rooms { page pageSize items { roomId } } }');
    expect(answer.data!.rooms).toMatchObject({ page: 1, pageSize: 10 });
    expect(answer.data!.rooms.items).toHaveLength(10);
  });

  it('filters by status', async () => {
    const answer = await t.gql<Page>(ROOMS, { status: ['ENDED'] });
    expect(answer.data!.rooms.totalCount).toBe(2);
    expect(answer.data!.rooms.items.every((room) => room.liveStatus === 'ENDED')).toBe(true);
  });

  it('returns goods with prices in fen and the default anchor image when WeChat gave none', async () => {
    const room = (await t.gql<{ room: RoomJson }>(ROOM, { roomId: 1000 })).data!.room;
    expect(room.goods).toEqual([
      {
        goodsId: 91000,
        name: '测试商品',
        coverImg: expect.any(String),
        url: 'pages/goods/detail?goods_id=91000',
        price: 9900,
        price2: 0,
        priceType: 1,
      },
    ]);
    expect(room.anchorImg).toBe('https://cdn.example/default-anchor.png');
  });

  it.each([
    [{ page: 0 }, 'page'],
    [{ page: -3 }, 'page'],
    [{ pageSize: 0 }, 'pageSize'],
    [{ pageSize: 101 }, 'pageSize'],
    [{ page: null }, 'page'],
  ])('rejects %j with BAD_USER_INPUT naming %s', async (variables, name) => {
    const answer = await t.gql(ROOMS, variables);
    expect(answer.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(answer.errors?.[0]?.message).toContain(name);
    expect(answer.data ?? null).toBeNull();
  });

  it('rejects wrong types and unknown enum values with BAD_USER_INPUT', async () => {
    for (const variables of [{ page: 'two' }, { pageSize: 1.5 }, { status: ['FINISHED'] }]) {
      const answer = await t.gql(ROOMS, variables);
      expect(answer.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });
});

describe('room query', () => {
  it('answers null for an unknown room and BAD_USER_INPUT for a nonsense id', async () => {
    expect(
      (await t.gql<{ room: RoomJson | null }>(ROOM, { roomId: 424242 })).data!.room,
    ).toBeNull();
    expect((await t.gql(ROOM, { roomId: -1 })).errors?.[0]?.extensions?.code).toBe(
      'BAD_USER_INPUT',
    );
  });
});

describe('admin operations', () => {
  const adminOperations: Array<[string, string, Record<string, unknown>]> = [
    ['syncRooms', SYNC_ROOMS, {}],
    ['syncReplay', SYNC_REPLAY, { roomId: 7 }],
    ['pinRoom', PIN_ROOM, { roomId: 1000, pinned: true }],
    ['quota', QUOTA, {}],
    ['syncRuns', SYNC_RUNS, { limit: 5 }],
  ];

  it.each(adminOperations)(
    '%s without or with a wrong token is UNAUTHENTICATED and does nothing',
    async (_name, query, variables) => {
      const before = t.sim.stats();
      const [runsBefore] = (await t.app.db.pool.query(
        'select count(*) as n from sync_runs where app_id = ?',
        [t.appId],
      )) as unknown as [Array<{ n: number }>];
      for (const options of [{}, { token: 'wrong-token' }, { token: '' }]) {
        const answer = await t.gql(query, variables, options);
        expect(answer.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
        expect(answer.data ?? null).toBeNull();
      }
      expect(t.sim.stats()).toEqual(before);
      const [runsAfter] = (await t.app.db.pool.query(
        'select count(*) as n from sync_runs where app_id = ?',
        [t.appId],
      )) as unknown as [Array<{ n: number }>];
      expect(runsAfter[0]!.n).toBe(runsBefore[0]!.n);
      const room = (await t.gql<{ room: RoomJson }>(ROOM, { roomId: 1000 })).data!.room;
      expect(room.pinned).toBe(false);
    },
  );

  it('pins a room to the top and unpins it back into place', async () => {
    const pinned = await t.gql(PIN_ROOM, { roomId: 7, pinned: true }, { admin: true });
    expect(pinned.data).toEqual({ pinRoom: { roomId: 7, pinned: true } });
    const page = await t.gql<Page>(ROOMS, { pageSize: 3 });
    expect(page.data!.rooms.items.map((room) => room.roomId)).toEqual([7, 1024, 1023]);
    await t.gql(PIN_ROOM, { roomId: 7, pinned: false }, { admin: true });
    const after = await t.gql<Page>(ROOMS, { pageSize: 2 });
    expect(after.data!.rooms.items.map((room) => room.roomId)).toEqual([1024, 1023]);
  });

  it('answers NOT_FOUND when pinning an unknown room', async () => {
    const answer = await t.gql(PIN_ROOM, { roomId: 999_999, pinned: true }, { admin: true });
    expect(answer.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it("reports today's quota in China days", async () => {
    const answer = await t.gql<{
      quota: { date: string; used: number; limit: number; remaining: number };
    }>(QUOTA, {}, { admin: true });
    const quota = answer.data!.quota;
    expect(quota.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(quota.limit).toBe(500);
    expect(quota.used).toBeGreaterThanOrEqual(1);
    expect(quota.remaining).toBe(quota.limit - quota.used);
  });

  it('rejects a syncRuns limit out of range', async () => {
    const answer = await t.gql(SYNC_RUNS, { limit: 0 }, { admin: true });
    expect(answer.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('HTTP surface', () => {
  it('answers /healthz and /readyz', async () => {
    const base = t.url.replace(/\/graphql$/, '');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('accepts a wx.request-style POST with content-type application/json', async () => {
    const response = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ rooms(pageSize: 1) { totalCount } }' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { rooms: { totalCount: 27 } } });
  });

  it('shows Apollo Sandbox as the landing page outside production', async () => {
    const response = await fetch(t.url, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/sandbox/i);
  });

  it('refuses an oversized body with 413 before parsing it', async () => {
    const response = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ rooms { totalCount } } # ${'x'.repeat(200_000)}` }),
    });
    expect(response.status).toBe(413);
  });

  it('masks unexpected errors: no SQL or stack reaches the client', async () => {
    const answer = await t.gql('{ rooms(page: 2000000, pageSize: 100) { totalCount } }');
    expect(answer.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(answer)).not.toMatch(/select|stack|at /i);
  });
});
