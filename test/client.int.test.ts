import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';

import type { LiveStatus } from '../client/generated/graphql.js';
import {
  createWxliveClient,
  WxliveGraphQLError,
  WxliveNetworkError,
  type WxliveClient,
  type WxliveDocument,
} from '../client/wxlive-client.js';
import { endedRoom, roomsFixture, replaysInBothFormats } from './support/fixtures.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { TEST_ADMIN_TOKEN } from './support/test-env.js';
import { createWxRequest } from './support/wx-request.js';

const replays = replaysInBothFormats;

let t: TestApp;
let wx: ReturnType<typeof createWxRequest>;
let client: WxliveClient;

beforeAll(async () => {
  // 12 not-started rooms, 1000..1011 (1011 newest), then two older ended ones, 7 newer than 8:
  // 7 with two replays, 8 with replay turned off.
  t = await startTestApp({
    sim: {
      rooms: [...roomsFixture(12), endedRoom(7, { replays }), endedRoom(8, { close_replay: 1 })],
    },
  });
  const answer = await t.gql('mutation { syncRooms { roomsAdded } }', {}, { admin: true });
  if (answer.errors) throw new Error(`setup sync failed: ${JSON.stringify(answer.errors)}`);
  wx = createWxRequest();
  client = createWxliveClient({ endpoint: t.url, request: wx.request });
});
afterAll(async () => {
  await t.close();
});

/** The rejection of `promise`, failing the test if it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

describe('typed queries against the live service', () => {
  it('rooms() resolves a typed page with goods prices in fen', async () => {
    const page = await client.rooms({ page: 1, pageSize: 5 });
    expect(page).toMatchObject({ totalCount: 14, page: 1, pageSize: 5 });
    expect(page.items.map((room) => room.roomId)).toEqual([1011, 1010, 1009, 1008, 1007]);
    const first = page.items[0]!;
    expect(first).toMatchObject({
      name: '房间 1011',
      liveStatus: 'NOT_STARTED',
      startTime: new Date((1_790_000_000 + 11 * 3600) * 1000).toISOString(),
      pinned: false,
      replays: [],
    });
    expect(first.goods).toEqual([
      {
        goodsId: 91011,
        name: '测试商品',
        coverImg: expect.stringMatching(/^https?:\/\//),
        url: 'pages/goods/detail?goods_id=91011',
        price: 9900,
        price2: 0,
        priceType: 1,
      },
    ]);
    expectTypeOf(first.liveStatus).toEqualTypeOf<LiveStatus>();
    expectTypeOf(first.startTime).toEqualTypeOf<string>();
    expectTypeOf(first.goods[0]!.price).toEqualTypeOf<number>();
  });

  it('rooms() filters by status and gives replays with ISO times, null for an unknown expiry', async () => {
    const page = await client.rooms({ status: ['ENDED'] });
    expect(page.totalCount).toBe(2);
    expect(page.items.map((room) => [room.roomId, room.liveStatus])).toEqual([
      [7, 'ENDED'],
      [8, 'ENDED'],
    ]);
    expect(page.items[0]!.replays).toEqual([
      {
        mediaUrl: 'https://vod.example/a.mp4',
        createTime: '2026-11-11T03:49:55.000Z',
        expireTime: '2027-11-11T03:49:55.000Z',
      },
      {
        mediaUrl: 'https://vod.example/b.m3u8',
        createTime: '2026-11-11T04:10:00.000Z',
        expireTime: null,
      },
    ]);
    expect(page.items[1]!.replays).toEqual([]);
    expectTypeOf(page.items[0]!.replays[0]!.expireTime).toEqualTypeOf<string | null>();
  });

  it('roomCards() asks only for what a list card shows', async () => {
    const page = await client.roomCards({ page: 2, pageSize: 10 });
    expect(page).toMatchObject({ totalCount: 14, page: 2, pageSize: 10 });
    expect(page.items.map((room) => room.roomId)).toEqual([1001, 1000, 7, 8]);
    expect(Object.keys(page.items[0]!).sort()).toEqual([
      'anchorImg',
      'anchorName',
      'coverImg',
      'endTime',
      'liveStatus',
      'name',
      'pinned',
      'roomId',
      'shareImg',
      'startTime',
    ]);
    expectTypeOf(page.items[0]!).not.toHaveProperty('goods');
  });

  it('room() answers one room, and null for an unknown one', async () => {
    const room = await client.room(7);
    expect(room).toMatchObject({ roomId: 7, name: '回放房间 7', liveStatus: 'ENDED' });
    expect(room!.replays).toHaveLength(2);
    expect(await client.room(424_242)).toBeNull();
    expectTypeOf(client.room).returns.resolves.toEqualTypeOf<typeof room>();
  });

  it('sends the query text as JSON with content-type application/json, whatever headers are given', async () => {
    const own = createWxRequest();
    const custom = createWxliveClient({
      endpoint: t.url,
      request: own.request,
      headers: { 'Content-Type': 'text/plain', 'x-request-id': 'mp-test-1' },
    });
    await custom.roomCards({ pageSize: 1 });
    expect(own.sent).toHaveLength(1);
    const sent = own.sent[0]!;
    expect(sent).toMatchObject({ url: t.url, method: 'POST' });
    expect(sent.header).toEqual({
      'content-type': 'application/json',
      'x-request-id': 'mp-test-1',
    });
    expect(sent.data.query).toEqual(expect.stringContaining('query RoomCards('));
    expect(sent.data.query).toEqual(expect.stringContaining('fragment RoomCard on Room'));
    expect(sent.data.variables).toEqual({ pageSize: 1 });
  });
});

describe('errors', () => {
  it('an out-of-range pageSize rejects with WxliveGraphQLError BAD_USER_INPUT', async () => {
    const error = await rejectionOf(client.rooms({ pageSize: 1000 }));
    expect(error).toBeInstanceOf(WxliveGraphQLError);
    const graphQLError = error as WxliveGraphQLError;
    expect(graphQLError).toBeInstanceOf(Error);
    expect(graphQLError).toMatchObject({
      name: 'WxliveGraphQLError',
      code: 'BAD_USER_INPUT',
      errcode: undefined,
      data: null,
    });
    expect(graphQLError.message).toContain('pageSize');
    expect(graphQLError.errors).toHaveLength(1);
    expect(graphQLError.errors[0]).toMatchObject({
      message: graphQLError.message,
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it('a GraphQL answer with a 4xx status is a GraphQL error, not a network error', async () => {
    const stale: WxliveDocument<{ rooms: { liveCount: number } }, Record<string, never>> = {
      toString: () => 'query Stale { rooms { liveCount } }',
    };
    const error = await rejectionOf(client.execute(stale));
    expect(error).toBeInstanceOf(WxliveGraphQLError);
    expect(error).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', statusCode: 400 });
    expect((error as WxliveGraphQLError).message).toContain('liveCount');
  });

  it("carries the server's code and WeChat's errcode", async () => {
    const syncRooms: WxliveDocument<
      { syncRooms: { roomsAdded: number } },
      Record<string, never>
    > = {
      toString: () => 'mutation { syncRooms { roomsAdded } }',
    };
    const anonymous = await rejectionOf(client.execute(syncRooms));
    expect(anonymous).toMatchObject({ code: 'UNAUTHENTICATED', errcode: undefined });

    const admin = createWxliveClient({
      endpoint: t.url,
      request: wx.request,
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    });
    t.sim.injectFault({ endpoint: 'list', kind: 'errcode', errcode: 48001 });
    const error = await rejectionOf(admin.execute(syncRooms));
    expect(error).toBeInstanceOf(WxliveGraphQLError);
    expect(error).toMatchObject({ code: 'WECHAT_ERROR', errcode: 48001, statusCode: 200 });
    // Once WeChat answers again, the same client works.
    expect(await admin.execute(syncRooms)).toEqual({ syncRooms: { roomsAdded: 0 } });
  });

  it('an unreachable endpoint rejects with WxliveNetworkError carrying errMsg', async () => {
    const closed = await listen(createServer());
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const offline = createWxliveClient({
      endpoint: `http://127.0.0.1:${port}/graphql`,
      request: wx.request,
    });
    const error = await rejectionOf(offline.rooms());
    expect(error).toBeInstanceOf(WxliveNetworkError);
    expect(error).toMatchObject({
      name: 'WxliveNetworkError',
      statusCode: undefined,
      errMsg: 'request:fail ECONNREFUSED',
    });
  });

  it('an answer that is not GraphQL rejects with WxliveNetworkError carrying the status', async () => {
    const wrongPath = createWxliveClient({
      endpoint: t.url.replace(/\/graphql$/, '/not-graphql'),
      request: wx.request,
    });
    const error = await rejectionOf(wrongPath.room(7));
    expect(error).toBeInstanceOf(WxliveNetworkError);
    expect(error).toMatchObject({ statusCode: 404, errMsg: undefined });
  });

  it('passes timeoutMs to wx.request, so a silent server rejects with WxliveNetworkError', async () => {
    const silent = await listen(createServer(() => {}));
    try {
      const own = createWxRequest();
      const slow = createWxliveClient({
        endpoint: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/graphql`,
        request: own.request,
        timeoutMs: 200,
      });
      const error = await rejectionOf(slow.roomCards());
      expect(own.sent[0]!.timeout).toBe(200);
      expect(error).toBeInstanceOf(WxliveNetworkError);
      expect(error).toMatchObject({ errMsg: 'request:fail timeout' });
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

async function listen(server: Server): Promise<Server> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
