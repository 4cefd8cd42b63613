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
});
