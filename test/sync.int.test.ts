import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';

import { endedRoom, roomsFixture, replaysInBothFormats } from './support/fixtures.js';
import {
  ROOM,
  ROOMS,
  SYNC_ROOMS,
  SYNC_RUNS,
  type RoomJson,
  type SyncReportJson,
  type SyncRunJson,
} from './support/queries.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { TEST_ADMIN_TOKEN } from './support/test-env.js';

let current: TestApp | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function start(...args: Parameters<typeof startTestApp>): Promise<TestApp> {
  current = await startTestApp(...args);
  return current;
}

async function sync(t: TestApp): Promise<SyncReportJson> {
  const answer = await t.gql<{ syncRooms: SyncReportJson }>(SYNC_ROOMS, {}, { admin: true });
  expect(answer.errors).toBeUndefined();
  return answer.data!.syncRooms;
}

async function allRooms(t: TestApp): Promise<RoomJson[]> {
  const items: RoomJson[] = [];
  for (let page = 1; ; page += 1) {
    const answer = await t.gql<{ rooms: { items: RoomJson[]; totalCount: number } }>(ROOMS, {
      page,
      pageSize: 100,
    });
    items.push(...answer.data!.rooms.items);
    if (items.length >= answer.data!.rooms.totalCount) return items;
  }
}

async function runs(t: TestApp): Promise<SyncRunJson[]> {
  const answer = await t.gql<{ syncRuns: SyncRunJson[] }>(
    SYNC_RUNS,
    { limit: 10 },
    { admin: true },
  );
  return answer.data!.syncRuns;
}

/** A fingerprint of everything stored for the app, to prove a failed sync changed nothing. */
async function snapshotRows(t: TestApp): Promise<unknown> {
  const [rows] = await t.app.db.pool.query(
    'select room_id, name, live_status, archived_at, replays, content_hash, updated_at from rooms where app_id = ? order by room_id',
    [t.appId],
  );
  return rows;
}

describe('syncRooms', () => {
  it('stores every room on a first sync and serves them newest first', async () => {
    const t = await start({ sim: { rooms: roomsFixture(30) } });
    const report = await sync(t);
    expect(report).toMatchObject({
      roomsAdded: 30,
      roomsUpdated: 0,
      roomsArchived: 0,
      roomsRestored: 0,
      listCalls: 1,
      tokenCalls: 1,
    });
    const rooms = await allRooms(t);
    expect(rooms).toHaveLength(30);
    expect(rooms[0]!.roomId).toBe(1029);
    expect(rooms[0]!.startTime).toBe(new Date((1_790_000_000 + 29 * 3600) * 1000).toISOString());
  });

  it('updates changed rooms and writes nothing for unchanged ones', async () => {
    const t = await start({ sim: { rooms: roomsFixture(5) } });
    await sync(t);
    t.sim.updateRoom(1002, { name: '新名字', live_status: 101 });
    const before = await snapshotRows(t);
    const report = await sync(t);
    expect(report).toMatchObject({ roomsAdded: 0, roomsUpdated: 1, roomsArchived: 0 });
    const room = await t.gql<{ room: RoomJson }>(ROOM, { roomId: 1002 });
    expect(room.data!.room).toMatchObject({ name: '新名字', liveStatus: 'LIVE' });
    // Only room 1002's row changed.
    const after = (await snapshotRows(t)) as Array<{ room_id: number }>;
    const changed = after.filter(
      (row, index) => JSON.stringify(row) !== JSON.stringify((before as unknown[])[index]),
    );
    expect(changed.map((row) => row.room_id)).toEqual([1002]);
  });

  it('archives rooms WeChat no longer lists and restores them when listed again', async () => {
    const t = await start({ sim: { rooms: roomsFixture(4) } });
    await sync(t);
    t.sim.removeRoom(1001);
    expect(await sync(t)).toMatchObject({ roomsArchived: 1, roomsAdded: 0 });
    expect((await t.gql<{ room: RoomJson | null }>(ROOM, { roomId: 1001 })).data!.room).toBeNull();
    expect((await allRooms(t)).map((room) => room.roomId)).not.toContain(1001);
    const [kept] = (await t.app.db.pool.query(
      'select archived_at from rooms where app_id = ? and room_id = 1001',
      [t.appId],
    )) as unknown as [Array<{ archived_at: Date | null }>];
    expect(kept[0]!.archived_at).not.toBeNull();

    t.sim.addRoom(roomsFixture(2)[1]!);
    expect(await sync(t)).toMatchObject({ roomsRestored: 1, roomsArchived: 0, roomsAdded: 0 });
    expect(
      (await t.gql<{ room: RoomJson | null }>(ROOM, { roomId: 1001 })).data!.room?.roomId,
    ).toBe(1001);
  });

  it('still answers the deprecated report names with the same figures as the rooms* ones', async () => {
    const t = await start({ sim: { rooms: roomsFixture(4) } });
    const bothNames = `mutation { syncRooms {
      added updated archived restored roomsAdded roomsUpdated roomsArchived roomsRestored
    } }`;
    const syncBoth = async () => {
      const answer = await t.gql<{ syncRooms: Record<string, number> }>(
        bothNames,
        {},
        { admin: true },
      );
      expect(answer.errors).toBeUndefined();
      return answer.data!.syncRooms;
    };
    const figures = (added: number, updated: number, archived: number, restored: number) => ({
      added,
      updated,
      archived,
      restored,
      roomsAdded: added,
      roomsUpdated: updated,
      roomsArchived: archived,
      roomsRestored: restored,
    });
    expect(await syncBoth()).toEqual(figures(4, 0, 0, 0));
    t.sim.updateRoom(1002, { name: '新名字' });
    t.sim.removeRoom(1001);
    expect(await syncBoth()).toEqual(figures(0, 1, 1, 0));
    t.sim.addRoom(roomsFixture(2)[1]!);
    expect(await syncBoth()).toEqual(figures(0, 0, 0, 1));
  });

  it('reads 120 rooms in three pages of 50 although it asks for 100', async () => {
    const t = await start({ sim: { rooms: roomsFixture(120) } });
    const report = await sync(t);
    expect(report).toMatchObject({ roomsAdded: 120, listCalls: 3 });
    expect(t.sim.stats().list).toBe(3);
    expect(await allRooms(t)).toHaveLength(120);
  });

  it('reads later list pages while an earlier one is still outstanding (bounded parallelism)', async () => {
    const t = await start({ sim: { rooms: roomsFixture(250) } });
    // The second page hangs for 1.5 s (under the 2 s timeout); a sequential reader could ask for no
    // other page meanwhile.
    t.sim.injectFault({ endpoint: 'list', kind: 'hang', ms: 1_500, skip: 1 });
    const syncing = sync(t);
    await expect.poll(() => t.sim.stats().list, { timeout: 1_000, interval: 20 }).toBe(5);
    expect(await syncing).toMatchObject({ roomsAdded: 250, listCalls: 5 });
  });

  it('makes no extra list call when the total is a multiple of the page size', async () => {
    const t = await start({ sim: { rooms: roomsFixture(100) } });
    expect(await sync(t)).toMatchObject({ roomsAdded: 100, listCalls: 2 });
    expect(t.sim.stats().list).toBe(2);
  });

  it('treats errcode 1 (no room created) as an empty list and archives what was stored', async () => {
    const t = await start({ sim: { rooms: roomsFixture(3) } });
    await sync(t);
    t.sim.setRooms([]);
    expect(await sync(t)).toMatchObject({ roomsArchived: 3, roomsAdded: 0 });
    expect((await allRooms(t)).length).toBe(0);
  });

  it('treats errcode 9410000 as an empty list, not a failure', async () => {
    const t = await start({ sim: { rooms: roomsFixture(3) } });
    t.sim.injectFault({ endpoint: 'list', kind: 'errcode', errcode: 9410000 });
    const report = await sync(t);
    expect(report).toMatchObject({ roomsAdded: 0, listCalls: 1 });
    expect((await runs(t))[0]).toMatchObject({ outcome: 'SUCCEEDED' });
  });

  it('fails without retrying on 48001 (live not enabled) and records the errcode', async () => {
    const t = await start({ sim: { rooms: roomsFixture(3) } });
    t.sim.injectFault({
      endpoint: 'list',
      kind: 'errcode',
      errcode: 48001,
      errmsg: 'api unauthorized',
    });
    const answer = await t.gql(SYNC_ROOMS, {}, { admin: true });
    expect(answer.errors?.[0]?.extensions).toEqual({ code: 'WECHAT_ERROR', errcode: 48001 });
    expect(t.sim.stats().list).toBe(1);
    expect((await runs(t))[0]).toMatchObject({
      outcome: 'FAILED',
      errorCode: 'WECHAT_ERROR',
      wechatErrcode: 48001,
    });
  });

  it('replaces a token invalidated mid-sync once and completes', async () => {
    const t = await start({ sim: { rooms: roomsFixture(120) } });
    t.sim.onListCall((call) => {
      if (call.index === 1) t.sim.invalidateTokens();
    });
    const report = await sync(t);
    expect(report.roomsAdded).toBe(120);
    expect(report.tokenCalls).toBe(2);
    expect(t.sim.stats().stableToken).toBe(2);
    expect(t.sim.stats().forceRefresh).toBe(0);
  });

  it('retries transient failures (-1, HTTP 502) with backoff and counts every attempt against the quota', async () => {
    const t = await start({ sim: { rooms: roomsFixture(60) } });
    t.sim.injectFault({ endpoint: 'list', kind: 'errcode', errcode: -1 });
    t.sim.injectFault({ endpoint: 'list', kind: 'http', status: 502, skip: 1 });
    const report = await sync(t);
    expect(report.roomsAdded).toBe(60);
    expect(report.listCalls).toBe(4);
    const quota = await t.gql<{ quota: { used: number } }>(
      '{ quota { used } }',
      {},
      { admin: true },
    );
    expect(quota.data!.quota.used).toBe(4);
  });

  it('leaves the database exactly as it was when a later page fails, and records the run as failed', async () => {
    const t = await start({ sim: { rooms: roomsFixture(120) } });
    await sync(t);
    const before = await snapshotRows(t);
    t.sim.updateRoom(1000, { name: 'changed' });
    t.sim.removeRoom(1001);
    t.sim.injectFault({ endpoint: 'list', kind: 'http', status: 503, skip: 2, times: 10 });
    const answer = await t.gql(SYNC_ROOMS, {}, { admin: true });
    expect(answer.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(await snapshotRows(t)).toEqual(before);
    expect((await runs(t))[0]).toMatchObject({
      outcome: 'FAILED',
      errorCode: 'UPSTREAM_UNAVAILABLE',
      roomsAdded: 0,
    });
  });

  it('fails with WECHAT_BAD_RESPONSE naming the field when WeChat drops one', async () => {
    const t = await start({ sim: { rooms: roomsFixture(3) } });
    t.sim.injectFault({ endpoint: 'list', kind: 'drop-field', field: 'roomid' });
    const answer = await t.gql(SYNC_ROOMS, {}, { admin: true });
    expect(answer.errors?.[0]?.extensions?.code).toBe('WECHAT_BAD_RESPONSE');
    expect(answer.errors?.[0]?.message).toContain('room_info[0].roomid');
  });

  it('refuses to sync with QUOTA_EXHAUSTED when the day is already spent, without calling WeChat', async () => {
    const t = await start({ sim: { rooms: roomsFixture(3), dailyQuota: 50 } });
    t.sim.setQuota({ used: 50 });
    const first = await t.gql(SYNC_ROOMS, {}, { admin: true });
    expect(first.errors?.[0]?.extensions).toMatchObject({
      code: 'QUOTA_EXHAUSTED',
      errcode: 45009,
    });
    const listCallsSoFar = t.sim.stats().list;
    expect(listCallsSoFar).toBe(0);
    expect(t.sim.stats().rejected).toBe(0);
  });

  it('stops at 45009 mid-sync, keeps the data as it was and sends nothing more that day', async () => {
    const t = await start({ sim: { rooms: roomsFixture(120) } });
    t.sim.injectFault({ endpoint: 'list', kind: 'errcode', errcode: 45009, skip: 1 });
    const answer = await t.gql(SYNC_ROOMS, {}, { admin: true });
    expect(answer.errors?.[0]?.extensions).toMatchObject({
      code: 'QUOTA_EXHAUSTED',
      errcode: 45009,
    });
    expect(await allRooms(t)).toHaveLength(0);
    const listCalls = t.sim.stats().list;
    const again = await t.gql(SYNC_ROOMS, {}, { admin: true });
    expect(again.errors?.[0]?.extensions?.code).toBe('QUOTA_EXHAUSTED');
    expect(t.sim.stats().list).toBe(listCalls);
  });

  it('refuses a call locally once its own count reaches the limit WeChat reported', async () => {
    const t = await start({ sim: { rooms: roomsFixture(120), dailyQuota: 2 } });
    const answer = await t.gql(SYNC_ROOMS, {}, { admin: true });
    expect(answer.errors?.[0]?.extensions?.code).toBe('QUOTA_EXHAUSTED');
    expect(t.sim.stats().list).toBe(2);
    expect(t.sim.stats().rejected).toBe(0);
  });

  it('runs one sync at a time: a concurrent caller gets SYNC_IN_PROGRESS', async () => {
    const t = await start({ sim: { rooms: roomsFixture(120), latencyMs: 150 } });
    const answers = await Promise.all([
      t.gql(SYNC_ROOMS, {}, { admin: true }),
      t.gql(SYNC_ROOMS, {}, { admin: true }),
    ]);
    const codes = answers.map((answer) => answer.errors?.[0]?.extensions?.code ?? 'OK').sort();
    expect(codes).toEqual(['OK', 'SYNC_IN_PROGRESS']);
    expect(t.sim.stats().list).toBe(3);
  });

  it('keeps room names with emoji intact (utf8mb4)', async () => {
    const t = await start({ sim: { rooms: roomsFixture(1, { name: '🔥🎉 双十一 直播间 👩‍👩‍👧' }) } });
    await sync(t);
    expect((await t.gql<{ room: RoomJson }>(ROOM, { roomId: 1000 })).data!.room.name).toBe(
      '🔥🎉 双十一 直播间 👩‍👩‍👧',
    );
  });

  it('stores text that SQL escaping must handle exactly as WeChat sent it', async () => {
    const tricky = `O'Brien's "直播" \\ back\\slash; -- not a comment */ %_ \u0000end`;
    const t = await start({ sim: { rooms: roomsFixture(1, { name: tricky, anchor_name: '\\' }) } });
    await sync(t);
    const room = (await t.gql<{ room: RoomJson }>(ROOM, { roomId: 1000 })).data!.room;
    expect(room.name).toBe(tricky);
    expect(room.anchorName).toBe('\\');
  });

  it('stores instants in UTC, with no 8-hour shift', async () => {
    const t = await start({ sim: { rooms: roomsFixture(1, { start_time: 1_700_000_000 }) } });
    await sync(t);
    const rows = (await t.app.db.db.execute(
      sql`select date_format(start_time, '%Y-%m-%d %H:%i:%s') as start from rooms where app_id = ${t.appId}`,
    )) as unknown as [Array<{ start: string }>];
    expect(rows[0][0]!.start).toBe('2023-11-14 22:13:20');
  });

  it('reuses the cached access token across syncs', async () => {
    const t = await start({ sim: { rooms: roomsFixture(3) } });
    await sync(t);
    const second = await sync(t);
    expect(second.tokenCalls).toBe(0);
    expect(t.sim.stats().stableToken).toBe(1);
  });

  it('never touches the pin', async () => {
    const t = await start({ sim: { rooms: roomsFixture(3) } });
    await sync(t);
    await t.gql('mutation { pinRoom(roomId: 1000, pinned: true) { pinned } }', {}, { admin: true });
    t.sim.updateRoom(1000, { name: 'renamed' });
    await sync(t);
    expect((await t.gql<{ room: RoomJson }>(ROOM, { roomId: 1000 })).data!.room).toMatchObject({
      name: 'renamed',
      pinned: true,
    });
  });
});

describe('replays', () => {
  const replays = replaysInBothFormats;

  it('fetches replays of ended rooms with replay on, parsing both time formats', async () => {
    const t = await start({
      sim: {
        rooms: [
          endedRoom(1, { replays }),
          endedRoom(2, { close_replay: 1, replays }),
          { ...endedRoom(3), live_status: 101 },
        ],
      },
    });
    const report = await sync(t);
    expect(report).toMatchObject({ replaysFetched: 2, replayCalls: 1 });
    const room = (await t.gql<{ room: RoomJson }>(ROOM, { roomId: 1 })).data!.room;
    expect(room.replays).toEqual([
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
    expect((await t.gql<{ room: RoomJson }>(ROOM, { roomId: 2 })).data!.room.replays).toEqual([]);
    // A steady-state sync asks nothing more: the replays are stored.
    expect(await sync(t)).toMatchObject({ replayCalls: 0 });
  });

  it('asks again for a room without replays only after the retry interval', async () => {
    const t = await start({
      sim: { rooms: [endedRoom(1), endedRoom(2, { replays: 'unavailable' })] },
      env: { REPLAY_RETRY_MINUTES: '30' },
    });
    expect(await sync(t)).toMatchObject({ replayCalls: 2, replaysFetched: 0 });
    expect(await sync(t)).toMatchObject({ replayCalls: 0 });

    t.sim.setReplays(1, replays);
    // Pretend the interval passed.
    await t.app.db.pool.query(
      'update rooms set replays_checked_at = replays_checked_at - interval 31 minute where app_id = ?',
      [t.appId],
    );
    expect(await sync(t)).toMatchObject({ replayCalls: 2, replaysFetched: 2 });
    expect((await t.gql<{ room: RoomJson }>(ROOM, { roomId: 1 })).data!.room.replays).toHaveLength(
      2,
    );
  });

  it('stops asking after the give-up period', async () => {
    const t = await start({ sim: { rooms: [endedRoom(1)] }, env: { REPLAY_GIVE_UP_DAYS: '2' } });
    await sync(t);
    await t.app.db.pool.query(
      'update rooms set replays_checked_at = now() - interval 3 day, replays_first_checked_at = now() - interval 3 day where app_id = ?',
      [t.appId],
    );
    expect(await sync(t)).toMatchObject({ replayCalls: 0 });
  });

  it('syncReplay fetches one room now and stores its replays', async () => {
    const t = await start({ sim: { rooms: [endedRoom(1)] } });
    await sync(t);
    t.sim.setReplays(1, replays);
    const answer = await t.gql<{ syncReplay: RoomJson }>(
      'mutation { syncReplay(roomId: 1) { roomId replays { mediaUrl } } }',
      {},
      { admin: true },
    );
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.syncReplay.replays.map((replay) => replay.mediaUrl)).toEqual([
      'https://vod.example/a.mp4',
      'https://vod.example/b.m3u8',
    ]);
    const unknown = await t.gql(
      'mutation { syncReplay(roomId: 999) { roomId } }',
      {},
      { admin: true },
    );
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('serves a replay whose creation time is WeChat\'s "unknown" sentinel with createTime null', async () => {
    const t = await start({ sim: { rooms: [endedRoom(1)] } });
    await sync(t);
    t.sim.setReplays(1, [
      {
        create_time: '2106-02-07T14:28:15',
        expire_time: '2106-02-07T14:28:15',
        media_url: 'https://vod.example/unknown-age.mp4',
      },
    ]);
    const answer = await t.gql<{ syncReplay: RoomJson }>(
      'mutation { syncReplay(roomId: 1) { replays { mediaUrl createTime expireTime } } }',
      {},
      { admin: true },
    );
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.syncReplay.replays).toEqual([
      { mediaUrl: 'https://vod.example/unknown-age.mp4', createTime: null, expireTime: null },
    ]);
  });
});

describe('secrets', () => {
  it('never writes the app secret, the admin token or the access token to the logs', async () => {
    const t = await start({ sim: { rooms: roomsFixture(60) } });
    t.sim.onListCall((call) => {
      if (call.index === 1) t.sim.invalidateTokens();
    });
    await sync(t);
    t.sim.injectFault({ endpoint: 'list', kind: 'http', status: 502, times: 5 });
    await t.gql(SYNC_ROOMS, {}, { admin: true });
    await t.gql(SYNC_ROOMS, {}, { token: 'guessing-the-admin-token' });
    const accessToken = await t.app.redis.get(`wxlive:{${t.appId}}:token`);
    const logs = t.logs();
    expect(logs).toContain('sync failed');
    expect(accessToken).toBeTruthy();
    for (const secret of [t.sim.secret, TEST_ADMIN_TOKEN, accessToken!])
      expect(logs).not.toContain(secret);
  });
});

describe('syncRuns', () => {
  it('records each run with trigger, outcome, counts and calls', async () => {
    const t = await start({ sim: { rooms: roomsFixture(2) } });
    await sync(t);
    const [run] = await runs(t);
    expect(run).toMatchObject({
      trigger: 'ADMIN',
      outcome: 'SUCCEEDED',
      roomsAdded: 2,
      listCalls: 1,
      errorCode: null,
    });
  });
});
