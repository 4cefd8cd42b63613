import { Agent, request as httpRequest } from 'node:http';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { roomsFixture } from './support/fixtures.js';
import { PIN_ROOM, ROOM, ROOMS, SYNC_ROOMS, type RoomJson } from './support/queries.js';
import { startTestApp, type TestApp } from './support/test-app.js';

type Page = { rooms: { items: RoomJson[]; totalCount: number } };

// Two instances of the service on one MySQL, one Redis and one WeChat, as behind a load balancer.
let a: TestApp;
let b: TestApp;
beforeAll(async () => {
  a = await startTestApp({ sim: { rooms: roomsFixture(5) } });
  b = await startTestApp({ sharedSim: { sim: a.sim, appId: a.appId } });
  await a.gql(SYNC_ROOMS, {}, { admin: true });
});
afterAll(async () => {
  await b.close();
  await a.close();
});

const firstIds = async (t: TestApp) =>
  (await t.gql<Page>(ROOMS, { pageSize: 3 })).data!.rooms.items.map((room) => room.roomId);

describe('read cache across instances', () => {
  it('serves a repeated public query from the cache', async () => {
    await firstIds(b);
    const before = b.app.responseCache.stats().hits;
    await firstIds(b);
    expect(b.app.responseCache.stats().hits).toBe(before + 1);
  });

  it('shows a pin made on one instance on the other at once', async () => {
    expect(await firstIds(b)).toEqual([1004, 1003, 1002]);
    await a.gql(PIN_ROOM, { roomId: 1000, pinned: true }, { admin: true });
    expect(await firstIds(b)).toEqual([1000, 1004, 1003]);
    await b.gql(PIN_ROOM, { roomId: 1000, pinned: false }, { admin: true });
    expect(await firstIds(a)).toEqual([1004, 1003, 1002]);
  });

  it('shows what a sync on one instance applied on the other at once', async () => {
    expect((await b.gql<{ room: RoomJson }>(ROOM, { roomId: 1001 })).data!.room.name).toBe(
      '房间 1001',
    );
    a.sim.updateRoom(1001, { name: '改名了' });
    await a.gql(SYNC_ROOMS, {}, { admin: true });
    expect((await b.gql<{ room: RoomJson }>(ROOM, { roomId: 1001 })).data!.room.name).toBe(
      '改名了',
    );
  });

  it('keeps cached answers through a sync that changed nothing', async () => {
    await firstIds(b);
    await a.gql(SYNC_ROOMS, {}, { admin: true });
    const before = b.app.responseCache.stats().hits;
    await firstIds(b);
    expect(b.app.responseCache.stats().hits).toBe(before + 1);
  });

  it('never caches answers with errors', async () => {
    const before = b.app.responseCache.stats().entries;
    await b.gql(ROOMS, { pageSize: 1000 });
    await b.gql(ROOMS, { pageSize: 1000 });
    expect(b.app.responseCache.stats().entries).toBe(before);
  });

  it('computes identical public requests that arrive together once and answers all with it', async () => {
    const query = 'query SharedRead { rooms(pageSize: 4) { totalCount items { roomId } } }';
    const answers = await postTogether(b.url, JSON.stringify({ query }), 20);
    expect(answers.every((answer) => answer === answers[0])).toBe(true);
    expect(JSON.parse(answers[0]!)).toMatchObject({ data: { rooms: { totalCount: 5 } } });
    const { body } = await metricsOf(b);
    // The first is computed; the others wait for its answer (or, arriving later, hit the cache).
    expect(countOf(body, 'apollo')).toBe(1);
    expect(countOf(body, 'cache')).toBe(19);
  });
});

/**
 * POSTs the same body `n` times at once, on connections opened beforehand so that the requests
 * reach the server together, not one connection set-up apart.
 */
async function postTogether(url: string, body: string, n: number): Promise<string[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: n });
  const send = (method: string, path: string, payload?: string) =>
    new Promise<string>((resolve, reject) => {
      const request = httpRequest(new URL(path, url), {
        method,
        agent,
        headers: { 'content-type': 'application/json' },
      });
      request.on('error', reject);
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      });
      request.end(payload);
    });
  try {
    await Promise.all(Array.from({ length: n }, () => send('GET', '/healthz')));
    return await Promise.all(Array.from({ length: n }, () => send('POST', '/graphql', body)));
  } finally {
    agent.destroy();
  }
}

async function metricsOf(t: TestApp) {
  const response = await fetch(t.url.replace(/\/graphql$/, '/metrics'));
  return { body: await response.text() };
}

/** How many SharedRead operations were answered from `source` (apollo: computed). */
function countOf(metrics: string, source: 'apollo' | 'cache'): number {
  const line = new RegExp(
    `^wxlive_graphql_operations_total\\{operation="SharedRead",outcome="ok",source="${source}"\\} (\\d+)$`,
    'm',
  );
  return Number(line.exec(metrics)?.[1] ?? 0);
}
