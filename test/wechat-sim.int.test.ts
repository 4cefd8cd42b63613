import { afterEach, describe, expect, it } from 'vitest';

import {
  REPLAY_EXPIRY_SENTINEL,
  SIM_EPOCH,
  generateRooms,
  makeRoom,
  type SimGoods,
  type SimReplay,
  type SimRoom,
} from '../src/wechat-sim/sim.rooms.js';
import {
  startWechatSimulator,
  type SimulatorOptions,
  type WechatSimulator,
} from '../src/wechat-sim/sim.server.js';

interface WireRoom extends Omit<SimRoom, 'replays'> {
  replays?: unknown;
}

/** The union of fields the endpoints answer; each test reads the ones its endpoint sends. */
interface WxAnswer {
  errcode?: number;
  errmsg?: string;
  access_token?: string;
  expires_in?: number;
  room_info?: WireRoom[];
  live_replay?: SimReplay[];
  total?: number;
  quota?: { daily_limit: number; used: number; remain: number };
}

const LIVEINFO = '/wxa/business/getliveinfo';
const QUOTA_GET = '/cgi-bin/openapi/quota/get';
const ZULU = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const ZONELESS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/;

const running: WechatSimulator[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((sim) => sim.close()));
});

async function startSim(opts?: SimulatorOptions): Promise<WechatSimulator> {
  const sim = await startWechatSimulator(opts);
  running.push(sim);
  return sim;
}

/** A clock the test moves by hand; starts at 12:00 China time. */
function manualClock(startMs = SIM_EPOCH * 1000): {
  now: () => number;
  advance: (s: number) => void;
} {
  let current = startMs;
  return {
    now: () => current,
    advance: (seconds) => {
      current += seconds * 1000;
    },
  };
}

async function post(
  sim: WechatSimulator,
  path: string,
  body: unknown,
  token?: string,
): Promise<WxAnswer> {
  const query = token === undefined ? '' : `?access_token=${encodeURIComponent(token)}`;
  const res = await fetch(`${sim.url}${path}${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as WxAnswer;
}

async function stable(
  sim: WechatSimulator,
  extra: Record<string, unknown> = {},
): Promise<WxAnswer> {
  return post(sim, '/cgi-bin/stable_token', {
    grant_type: 'client_credential',
    appid: sim.appid,
    secret: sim.secret,
    ...extra,
  });
}

async function token(sim: WechatSimulator): Promise<string> {
  const answer = await stable(sim);
  if (answer.access_token === undefined) throw new Error(`no token: ${JSON.stringify(answer)}`);
  return answer.access_token;
}

async function classic(sim: WechatSimulator): Promise<WxAnswer> {
  const q = new URLSearchParams({
    grant_type: 'client_credential',
    appid: sim.appid,
    secret: sim.secret,
  });
  const res = await fetch(`${sim.url}/cgi-bin/token?${q.toString()}`);
  return (await res.json()) as WxAnswer;
}

function list(sim: WechatSimulator, tok: string, start: number, limit: number): Promise<WxAnswer> {
  return post(sim, LIVEINFO, { start, limit }, tok);
}

function replays(
  sim: WechatSimulator,
  tok: string,
  roomId: number,
  start = 0,
  limit = 100,
): Promise<WxAnswer> {
  return post(sim, LIVEINFO, { action: 'get_replay', room_id: roomId, start, limit }, tok);
}

async function quotaOf(sim: WechatSimulator, tok: string): Promise<WxAnswer['quota']> {
  return (await post(sim, QUOTA_GET, { cgi_path: LIVEINFO }, tok)).quota;
}

async function control(
  sim: WechatSimulator,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${sim.url}/__sim/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as unknown };
}

function ids(answer: WxAnswer): number[] {
  return (answer.room_info ?? []).map((r) => r.roomid);
}

describe('generateRooms', () => {
  it('gives identical rooms for identical options and different rooms for another seed', () => {
    const a = generateRooms({ count: 300, seed: 7 });
    const b = generateRooms({ count: 300, seed: 7 });
    const c = generateRooms({ count: 300, seed: 8 });
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
    expect(generateRooms({ count: 3, firstRoomId: 500 }).map((r) => r.roomid)).toEqual([
      500, 501, 502,
    ]);
  });

  it('mixes statuses, replay shapes, time formats, goods and optional anchor_img', () => {
    const rooms = generateRooms({ count: 2000, seed: 3 });
    const ended = rooms.filter((r) => r.live_status === 103);
    expect(ended.length / rooms.length).toBeGreaterThan(0.6);
    expect(ended.length / rooms.length).toBeLessThan(0.8);
    for (const status of [101, 102]) {
      expect(rooms.some((r) => r.live_status === status)).toBe(true);
    }
    expect(rooms.some((r) => r.live_status >= 104 && r.live_status <= 107)).toBe(true);
    // Only ended rooms carry replay data, and only unless replay is switched off.
    expect(rooms.every((r) => r.live_status === 103 || r.replays === undefined)).toBe(true);
    expect(ended.filter((r) => r.close_replay === 1).every((r) => Array.isArray(r.replays))).toBe(
      true,
    );

    const segments = ended.flatMap((r) => (Array.isArray(r.replays) ? r.replays : []));
    expect(ended.some((r) => r.replays === 'unavailable')).toBe(true);
    expect(ended.some((r) => Array.isArray(r.replays) && r.replays.length === 0)).toBe(true);
    expect(ended.some((r) => Array.isArray(r.replays) && r.replays.length === 2)).toBe(true);
    expect(segments.some((s) => ZULU.test(s.create_time))).toBe(true);
    expect(segments.some((s) => ZONELESS.test(s.create_time))).toBe(true);
    expect(segments.some((s) => s.expire_time === REPLAY_EXPIRY_SENTINEL)).toBe(true);
    expect(segments.some((s) => s.media_url.endsWith('.mp4'))).toBe(true);
    expect(segments.some((s) => s.media_url.endsWith('.m3u8'))).toBe(true);

    expect(rooms.some((r) => r.anchor_img !== undefined)).toBe(true);
    expect(rooms.some((r) => !('anchor_img' in r))).toBe(true);
    expect(rooms.some((r) => /\p{Extended_Pictographic}/u.test(r.name))).toBe(true);
    expect(rooms.every((r) => /[\u4e00-\u9fff]/.test(r.name))).toBe(true);
    const goods = rooms.flatMap((r) => r.goods);
    expect(Math.max(...rooms.map((r) => r.goods.length))).toBe(4);
    expect(rooms.some((r) => r.goods.length === 0)).toBe(true);
    expect(new Set(goods.map((g) => g.price_type))).toEqual(new Set([1, 2, 3]));
    expect(goods.every((g) => Number.isInteger(g.price) && Number.isInteger(g.price2))).toBe(true);
  });

  it('keeps ended rooms in the past and scheduled rooms in the future', () => {
    const now = SIM_EPOCH;
    const rooms = generateRooms({ count: 500, seed: 11, now });
    const byStatus = (status: number) => rooms.filter((room) => room.live_status === status);
    expect(rooms.every((room) => room.end_time > room.start_time)).toBe(true);
    expect(byStatus(103).every((room) => room.end_time <= now)).toBe(true);
    expect(byStatus(102).every((room) => room.start_time > now)).toBe(true);
    expect(byStatus(101).every((room) => room.end_time > now)).toBe(true);
  });

  // How fast is the benchmark's business (npm run bench drives this simulator at 50,000 rooms),
  // never a timed assertion here: a busy machine would fail it.
  it('generates and serves 50,000 rooms, to the last page and with a room added on top', async () => {
    const rooms = generateRooms({ count: 50_000 });
    const sim = await startSim({ rooms });
    const tok = await token(sim);
    const first = await list(sim, tok, 0, 100);
    const last = await list(sim, tok, 49_990, 100);
    sim.addRoom(makeRoom({ roomid: 60_000, start_time: SIM_EPOCH + 365 * 86_400 }));
    const afterAdd = await list(sim, tok, 0, 1);

    expect(first.total).toBe(50_000);
    expect(first.room_info).toHaveLength(50);
    expect(last.room_info).toHaveLength(10);
    expect(ids(afterAdd)).toEqual([60_000]);
    expect(afterAdd.total).toBe(50_001);
  });
});

describe('stable token', () => {
  it('hands back the same token while valid, with expires_in counting down', async () => {
    const clock = manualClock();
    const sim = await startSim({ now: clock.now });
    const first = await stable(sim);
    clock.advance(100);
    const second = await stable(sim);

    expect(first.expires_in).toBe(7200);
    expect(second.access_token).toBe(first.access_token);
    expect(second.expires_in).toBe(7100);
    expect(first.access_token?.length).toBeGreaterThanOrEqual(100);
    expect(first.access_token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(sim.stats().stableToken).toBe(2);
  });

  it('rotates within 300 s of expiry and keeps the old token valid until its own expiry', async () => {
    const clock = manualClock();
    const sim = await startSim({ now: clock.now });
    const old = await token(sim);
    clock.advance(7200 - 250);
    const rotated = await stable(sim);

    expect(rotated.access_token).not.toBe(old);
    expect(rotated.expires_in).toBe(7200);
    expect((await list(sim, old, 0, 10)).errcode).toBe(1);
    clock.advance(251);
    expect((await list(sim, old, 0, 10)).errcode).toBe(42001);
    expect((await list(sim, rotated.access_token ?? '', 0, 10)).errcode).toBe(1);
  });

  it('force_refresh issues a new token, kills the old one, and is throttled to 30 s', async () => {
    const clock = manualClock();
    const sim = await startSim({ now: clock.now });
    const old = await token(sim);
    const forced = await stable(sim, { force_refresh: true });
    clock.advance(10);
    const tooSoon = await stable(sim, { force_refresh: true });
    clock.advance(25);
    const again = await stable(sim, { force_refresh: true });

    expect(forced.access_token).not.toBe(old);
    expect((await list(sim, old, 0, 10)).errcode).toBe(40001);
    expect(tooSoon.access_token).toBe(forced.access_token);
    expect(tooSoon.expires_in).toBe(7190);
    expect(again.access_token).not.toBe(forced.access_token);
    expect(sim.stats()).toMatchObject({ stableToken: 4, forceRefresh: 2 });
  });

  it('allows 20 force refreshes per China day', async () => {
    const clock = manualClock();
    const sim = await startSim({ now: clock.now });
    const seen = new Set<string>();
    for (let i = 0; i < 25; i++) {
      clock.advance(31);
      seen.add((await stable(sim, { force_refresh: true })).access_token ?? '');
    }
    expect(seen.size).toBe(20);
    expect(sim.stats().forceRefresh).toBe(20);

    clock.advance(12 * 3600);
    const nextDay = await stable(sim, { force_refresh: true });
    expect(seen.has(nextDay.access_token ?? '')).toBe(false);
    expect(sim.stats().forceRefresh).toBe(21);
  });

  it('refuses a wrong appid (40013), a wrong secret (40125) and a bad grant_type', async () => {
    const sim = await startSim();
    expect(await stable(sim, { appid: 'wxnope' })).toEqual({
      errcode: 40013,
      errmsg: 'invalid appid',
    });
    expect((await stable(sim, { secret: 'nope' })).errcode).toBe(40125);
    expect((await stable(sim, { grant_type: 'password' })).errcode).toBe(40002);
    expect(sim.stats().stableToken).toBe(3);
  });

  it('answers 41001, 40014, 40001 and 42001 for missing, malformed, invalidated, expired tokens', async () => {
    const sim = await startSim({ rooms: [makeRoom({ roomid: 1 })] });
    const tok = await token(sim);
    expect((await post(sim, LIVEINFO, { start: 0, limit: 10 })).errcode).toBe(41001);
    expect((await list(sim, 'bad token!', 0, 10)).errcode).toBe(40014);
    expect((await list(sim, 'unknown_token', 0, 10)).errcode).toBe(40001);
    expect((await list(sim, tok, 0, 10)).errcode).toBe(0);

    sim.invalidateTokens();
    expect((await list(sim, tok, 0, 10)).errcode).toBe(40001);
    const fresh = await token(sim);
    expect(fresh).not.toBe(tok);

    sim.expireTokens();
    expect((await list(sim, fresh, 0, 10)).errcode).toBe(42001);
    // Token errors are refused before the quota is touched.
    expect(sim.quota().used).toBe(1);
  });
});

describe('classic token', () => {
  it('issues a new token per fetch; the previous one lives 5 more minutes; stable is untouched', async () => {
    const clock = manualClock();
    const sim = await startSim({ now: clock.now });
    const stableToken = await token(sim);
    const a = await classic(sim);
    const b = await classic(sim);

    expect(a.access_token).not.toBe(b.access_token);
    expect(a.expires_in).toBe(7200);
    expect((await list(sim, a.access_token ?? '', 0, 10)).errcode).toBe(1);
    clock.advance(301);
    expect((await list(sim, a.access_token ?? '', 0, 10)).errcode).toBe(40001);
    expect((await list(sim, b.access_token ?? '', 0, 10)).errcode).toBe(1);
    expect((await list(sim, stableToken, 0, 10)).errcode).toBe(1);
    expect(sim.stats().classicToken).toBe(2);
  });
});

describe('room list', () => {
  it('caps pages at 50 rows, reports total, and pages through every room newest first', async () => {
    const rooms = generateRooms({ count: 120 });
    const sim = await startSim({ rooms });
    const tok = await token(sim);
    const expected = [...rooms]
      .sort((x, y) => y.start_time - x.start_time || y.roomid - x.roomid)
      .map((r) => r.roomid);

    const seen: number[] = [];
    let start = 0;
    let pages = 0;
    for (;;) {
      const page = await list(sim, tok, start, 100);
      if (page.errcode === 9410000) break;
      expect(page).toMatchObject({ errcode: 0, errmsg: 'ok', total: 120, live_replay: [] });
      seen.push(...ids(page));
      start += page.room_info?.length ?? 0;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(expected);
    expect(sim.stats().list).toBe(4);
  });

  it('sends room_info in WeChat shape: no sim-only replays key, anchor_img only when set', async () => {
    const sim = await startSim({
      rooms: [
        makeRoom({ roomid: 1, anchor_img: 'https://img/a.jpg', replays: 'unavailable' }),
        makeRoom({ roomid: 2 }),
      ],
    });
    const page = await list(sim, await token(sim), 0, 10);
    const [second, first] = page.room_info ?? [];

    expect(ids(page)).toEqual([2, 1]);
    expect(first?.anchor_img).toBe('https://img/a.jpg');
    expect(second).not.toHaveProperty('anchor_img');
    for (const room of page.room_info ?? []) {
      expect(room).not.toHaveProperty('replays');
      expect(room).toHaveProperty('creater_openid');
      expect(room.goods[0]?.price).toBe(9900);
    }
  });

  it('answers errcode 1 without room_info when there is no room, 9410000 past the end', async () => {
    const sim = await startSim();
    const tok = await token(sim);
    const empty = await list(sim, tok, 0, 100);
    expect(empty.errcode).toBe(1);
    expect(empty).not.toHaveProperty('room_info');

    sim.setRooms([makeRoom({ roomid: 1 }), makeRoom({ roomid: 2 })]);
    expect((await list(sim, tok, 2, 100)).errcode).toBe(9410000);
    expect((await list(sim, tok, 1, 100)).room_info).toHaveLength(1);
  });

  it('refuses non-integer start or limit with 40097', async () => {
    const sim = await startSim({ rooms: [makeRoom({ roomid: 1 })] });
    const tok = await token(sim);
    expect((await post(sim, LIVEINFO, { start: -1, limit: 10 }, tok)).errcode).toBe(40097);
    expect((await post(sim, LIVEINFO, { start: 0, limit: 0 }, tok)).errcode).toBe(40097);
    expect((await post(sim, LIVEINFO, { start: '0', limit: 10 }, tok)).errcode).toBe(40097);
  });

  it('honours the pageCap option', async () => {
    const sim = await startSim({ rooms: generateRooms({ count: 30 }), pageCap: 10 });
    const page = await list(sim, await token(sim), 0, 100);
    expect(page.room_info).toHaveLength(10);
    expect(page.total).toBe(30);
  });

  it('shifts offsets when a room is created between pages (onListCall hook)', async () => {
    const rooms = Array.from({ length: 60 }, (_, i) =>
      makeRoom({ roomid: i + 1, start_time: SIM_EPOCH - i * 60 }),
    );
    const sim = await startSim({ rooms });
    const tok = await token(sim);
    const calls: Array<{ index: number; start: number; limit: number }> = [];
    sim.onListCall((call) => {
      calls.push(call);
      if (call.index === 1) sim.addRoom(makeRoom({ roomid: 999, start_time: SIM_EPOCH + 60 }));
    });

    const page1 = await list(sim, tok, 0, 50);
    const page2 = await list(sim, tok, 50, 50);

    expect(calls).toEqual([
      { index: 0, start: 0, limit: 50 },
      { index: 1, start: 50, limit: 50 },
    ]);
    expect(page1.total).toBe(60);
    expect(page2.total).toBe(61);
    // Room 50 was last on page 1 and is pushed onto page 2: a sync must dedupe by roomid.
    expect(ids(page1).at(-1)).toBe(50);
    expect(ids(page2)[0]).toBe(50);
    expect(ids(page2)).toHaveLength(11);
    expect(ids(page1)).not.toContain(999);
  });

  it('reorders on updateRoom, drops removed rooms, and refuses unknown or duplicate ids', async () => {
    const sim = await startSim({
      rooms: [1, 2, 3].map((roomid) => makeRoom({ roomid, start_time: SIM_EPOCH - roomid })),
    });
    const tok = await token(sim);
    expect(ids(await list(sim, tok, 0, 10))).toEqual([1, 2, 3]);

    sim.updateRoom(3, { start_time: SIM_EPOCH, live_status: 101, name: '🔥 改名了' });
    sim.removeRoom(2);
    const page = await list(sim, tok, 0, 10);
    expect(ids(page)).toEqual([3, 1]);
    expect(page.room_info?.[0]).toMatchObject({ live_status: 101, name: '🔥 改名了' });
    expect(sim.rooms().map((r) => r.roomid)).toEqual([3, 1]);

    expect(() => sim.updateRoom(42, { name: 'x' })).toThrow(/not found/);
    expect(() => sim.removeRoom(42)).toThrow(/not found/);
    expect(() => sim.addRoom(makeRoom({ roomid: 1 }))).toThrow(/exists/);
  });

  it('keeps its own copies so callers mutating their objects change nothing', async () => {
    const room = makeRoom({ roomid: 1 });
    const sim = await startSim({ rooms: [room] });
    room.name = 'changed outside';
    room.goods.push({ ...(room.goods[0] as SimGoods), goods_id: 2 });
    const copy = sim.rooms()[0];
    if (copy !== undefined) {
      copy.name = 'changed copy';
      copy.goods.length = 0;
    }
    const page = await list(sim, await token(sim), 0, 10);
    expect(page.room_info?.[0]?.name).toBe('测试直播间 #1');
    expect(page.room_info?.[0]?.goods).toHaveLength(1);
  });

  it('keeps list order right through many adds, moves and removals', async () => {
    const sim = await startSim({ rooms: generateRooms({ count: 300, seed: 5 }) });
    const tok = await token(sim);
    await list(sim, tok, 0, 10);
    const rand = (n: number): number => Math.floor(Math.random() * n);
    let nextId = 1000;
    for (let i = 0; i < 300; i++) {
      const existing = sim.rooms();
      const victim = existing[rand(existing.length)] as SimRoom;
      const op = i % 3;
      if (op === 0) sim.addRoom(makeRoom({ roomid: nextId++, start_time: SIM_EPOCH - rand(1e6) }));
      else if (op === 1) sim.updateRoom(victim.roomid, { start_time: SIM_EPOCH - rand(1e6) });
      else sim.removeRoom(victim.roomid);
    }
    const expected = sim
      .rooms()
      .map((r) => ({ id: r.roomid, t: r.start_time }))
      .sort((a, b) => b.t - a.t || b.id - a.id)
      .map((r) => r.id);
    const served: number[] = [];
    for (let start = 0; start < expected.length; start += 50) {
      served.push(...ids(await list(sim, tok, start, 50)));
    }
    expect(served).toEqual(expected);
  });
});

describe('replays', () => {
  const segments: SimReplay[] = [
    {
      create_time: '2026-11-11T03:49:55Z',
      expire_time: '2027-11-11T03:49:55Z',
      media_url: 'https://cdn.example/a/f0.mp4',
    },
    {
      create_time: '2026-11-11T11:55:00',
      expire_time: REPLAY_EXPIRY_SENTINEL,
      media_url: 'https://cdn.example/b/playlist.m3u8',
    },
  ];

  it('answers segments in both time formats with total, paged by start/limit', async () => {
    const sim = await startSim({ rooms: [makeRoom({ roomid: 7, replays: segments })] });
    const tok = await token(sim);
    const all = await replays(sim, tok, 7);
    expect(all).toEqual({ errcode: 0, errmsg: 'ok', live_replay: segments, total: 2 });
    expect(all.live_replay?.[0]?.create_time).toMatch(ZULU);
    expect(all.live_replay?.[1]?.create_time).toMatch(ZONELESS);

    const second = await replays(sim, tok, 7, 1, 1);
    expect(second.live_replay).toEqual([segments[1]]);
    expect(second.total).toBe(2);
    expect(sim.stats()).toMatchObject({ replay: 2, list: 0 });
  });

  it('answers 9410003 for unavailable and unknown rooms, an empty list for rooms without replays', async () => {
    const sim = await startSim({ rooms: [makeRoom({ roomid: 1 }), makeRoom({ roomid: 2 })] });
    const tok = await token(sim);
    sim.setReplays(2, 'unavailable');

    expect(await replays(sim, tok, 1)).toEqual({
      errcode: 0,
      errmsg: 'ok',
      live_replay: [],
      total: 0,
    });
    expect((await replays(sim, tok, 2)).errcode).toBe(9410003);
    expect((await replays(sim, tok, 404)).errcode).toBe(9410003);
    sim.setReplays(2, segments);
    expect((await replays(sim, tok, 2)).total).toBe(2);
    expect(() => sim.setReplays(404, [])).toThrow(/not found/);
  });

  it('caps a replay page at 100 rows', async () => {
    const many = Array.from({ length: 150 }, (_, i) => ({
      ...segments[0],
      media_url: `https://cdn.example/${i}.mp4`,
    })) as SimReplay[];
    const sim = await startSim({ rooms: [makeRoom({ roomid: 1, replays: many })] });
    const page = await replays(sim, await token(sim), 1, 0, 500);
    expect(page.live_replay).toHaveLength(100);
    expect(page.total).toBe(150);
  });

  it('reproduces the limit:1 quirk only when asked to', async () => {
    const rooms = [makeRoom({ roomid: 1, replays: segments })];
    const quirky = await startSim({ rooms, replayLimitOneQuirk: true });
    const plain = await startSim({ rooms });
    const odd = await replays(quirky, await token(quirky), 1, 0, 1);
    expect(odd.live_replay).toHaveLength(2);
    expect(odd.total).toBe(1);
    expect((await replays(plain, await token(plain), 1, 0, 1)).live_replay).toHaveLength(1);
  });
});

describe('quota', () => {
  it('counts list and replay calls together, answers 45009 when spent, and quota/get is free', async () => {
    const sim = await startSim({ rooms: [makeRoom({ roomid: 1 })], dailyQuota: 3 });
    const tok = await token(sim);
    await list(sim, tok, 0, 10);
    await replays(sim, tok, 1);
    expect(await quotaOf(sim, tok)).toEqual({ daily_limit: 3, used: 2, remain: 1 });
    expect((await list(sim, tok, 0, 10)).errcode).toBe(0);

    expect(await list(sim, tok, 0, 10)).toEqual({
      errcode: 45009,
      errmsg: 'reach max api daily quota limit',
    });
    expect((await replays(sim, tok, 1)).errcode).toBe(45009);
    expect(await quotaOf(sim, tok)).toEqual({ daily_limit: 3, used: 3, remain: 0 });
    expect(sim.stats()).toMatchObject({ list: 3, replay: 2, quotaGet: 2, rejected: 2 });
  });

  it('answers 76021 for another cgi_path', async () => {
    const sim = await startSim();
    const answer = await post(sim, QUOTA_GET, { cgi_path: '/cgi-bin/message' }, await token(sim));
    expect(answer).toEqual({ errcode: 76021, errmsg: 'cgi_path not found' });
  });

  it('resets used at midnight China time', async () => {
    // 23:59:50 in UTC+8.
    const clock = manualClock(Date.UTC(2026, 10, 12, 15, 59, 50));
    const sim = await startSim({ rooms: [makeRoom({ roomid: 1 })], now: clock.now });
    const tok = await token(sim);
    await list(sim, tok, 0, 10);
    await list(sim, tok, 0, 10);
    expect(sim.quota().used).toBe(2);
    clock.advance(20);
    expect((await quotaOf(sim, tok))?.used).toBe(0);
  });

  it('setQuota changes the limit and the count', async () => {
    const sim = await startSim({ rooms: [makeRoom({ roomid: 1 })] });
    const tok = await token(sim);
    sim.setQuota({ dailyLimit: 10, used: 10 });
    expect((await list(sim, tok, 0, 10)).errcode).toBe(45009);
    sim.setQuota({ used: 4 });
    expect(await quotaOf(sim, tok)).toEqual({ daily_limit: 10, used: 4, remain: 6 });
  });

  it('clear_quota zeroes used ten times a month, then answers 48006', async () => {
    const sim = await startSim({ rooms: [makeRoom({ roomid: 1 })] });
    const tok = await token(sim);
    await list(sim, tok, 0, 10);
    expect(await post(sim, '/cgi-bin/clear_quota', { appid: sim.appid }, tok)).toEqual({
      errcode: 0,
      errmsg: 'ok',
    });
    expect(sim.quota().used).toBe(0);
    expect((await post(sim, '/cgi-bin/clear_quota', { appid: 'wxother' }, tok)).errcode).toBe(
      40013,
    );
    for (let i = 0; i < 9; i++) await post(sim, '/cgi-bin/clear_quota', { appid: sim.appid }, tok);
    expect((await post(sim, '/cgi-bin/clear_quota', { appid: sim.appid }, tok)).errcode).toBe(
      48006,
    );
    expect(sim.stats().clearQuota).toBe(12);
  });
});

describe('faults', () => {
  const rooms = generateRooms({ count: 20 });

  it('errcode: answers the injected error once, counts it against quota, then answers normally', async () => {
    const sim = await startSim({ rooms });
    const tok = await token(sim);
    sim.injectFault({ endpoint: 'list', kind: 'errcode', errcode: -1 });
    expect(await list(sim, tok, 0, 10)).toEqual({ errcode: -1, errmsg: 'system error' });
    expect((await list(sim, tok, 0, 10)).errcode).toBe(0);
    expect(sim.quota().used).toBe(2);
    expect(sim.stats()).toMatchObject({ list: 2, rejected: 1 });
  });

  it('errcode 45009 is not counted against the quota', async () => {
    const sim = await startSim({ rooms });
    const tok = await token(sim);
    sim.injectFault({ endpoint: 'getliveinfo', kind: 'errcode', errcode: 45009 });
    expect((await replays(sim, tok, 1)).errmsg).toBe('reach max api daily quota limit');
    expect(sim.quota().used).toBe(0);
  });

  it('skip and times: lets calls pass, hits the next ones, and faults play in injection order', async () => {
    const sim = await startSim({ rooms });
    const tok = await token(sim);
    sim.injectFault({ endpoint: 'list', kind: 'errcode', errcode: 9410001, skip: 1, times: 2 });
    sim.injectFault({ endpoint: 'list', kind: 'errcode', errcode: 45011 });
    const codes: Array<number | undefined> = [];
    for (let i = 0; i < 5; i++) codes.push((await list(sim, tok, 0, 10)).errcode);
    expect(codes).toEqual([0, 9410001, 9410001, 45011, 0]);
    expect(sim.faults()).toEqual([]);
  });

  it('list faults leave replay calls alone; getliveinfo faults hit both modes', async () => {
    const sim = await startSim({ rooms });
    const tok = await token(sim);
    sim.injectFault({ endpoint: 'list', kind: 'errcode', errcode: -1 });
    expect((await replays(sim, tok, 1)).errcode).not.toBe(-1);
    expect((await list(sim, tok, 0, 10)).errcode).toBe(-1);
    sim.injectFault({ endpoint: 'getliveinfo', kind: 'errcode', errcode: -1, times: 2 });
    expect((await replays(sim, tok, 1)).errcode).toBe(-1);
    expect((await list(sim, tok, 0, 10)).errcode).toBe(-1);
  });

  it('http: answers the status with an HTML page and no quota use', async () => {
    const sim = await startSim({ rooms });
    const tok = await token(sim);
    sim.injectFault({ endpoint: 'list', kind: 'http', status: 502 });
    const res = await fetch(`${sim.url}${LIVEINFO}?access_token=${tok}`, {
      method: 'POST',
      body: JSON.stringify({ start: 0, limit: 10 }),
    });
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toContain('502 Bad Gateway');
    expect(sim.quota().used).toBe(0);
    expect(sim.stats().rejected).toBe(1);
  });

  it('hang: delays the answer, then answers normally', async () => {
    const sim = await startSim({ rooms });
    const tok = await token(sim);
    sim.injectFault({ endpoint: 'list', kind: 'hang', ms: 200 });
    const started = performance.now();
    const page = await list(sim, tok, 0, 10);
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(page.errcode).toBe(0);
    expect(sim.stats().rejected).toBe(0);
  });

  it('malformed: answers HTTP 200 with a body that is not JSON', async () => {
    const sim = await startSim({ rooms });
    const tok = await token(sim);
    sim.injectFault({ endpoint: 'list', kind: 'malformed' });
    const res = await fetch(`${sim.url}${LIVEINFO}?access_token=${tok}`, {
      method: 'POST',
      body: JSON.stringify({ start: 0, limit: 10 }),
    });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text.startsWith('{"errcode":0')).toBe(true);
    expect(() => JSON.parse(text) as unknown).toThrow(SyntaxError);
  });

  it('drop-field: removes a key from every room, or a top-level key', async () => {
    const sim = await startSim({ rooms });
    const tok = await token(sim);
    sim.injectFault({ endpoint: 'list', kind: 'drop-field', field: 'roomid' });
    sim.injectFault({ endpoint: 'list', kind: 'drop-field', field: 'total' });
    const noIds = await list(sim, tok, 0, 10);
    const noTotal = await list(sim, tok, 0, 10);
    expect(noIds.room_info).toHaveLength(10);
    expect(noIds.room_info?.every((r) => !('roomid' in r))).toBe(true);
    expect(noIds.total).toBe(20);
    expect(noTotal).not.toHaveProperty('total');
    expect(noTotal.room_info?.every((r) => typeof r.roomid === 'number')).toBe(true);
  });

  it('mistype-field: makes a field the wrong type', async () => {
    const sim = await startSim({ rooms });
    const tok = await token(sim);
    sim.injectFault({ endpoint: 'list', kind: 'mistype-field', field: 'roomid' });
    sim.injectFault({ endpoint: 'stable_token', kind: 'mistype-field', field: 'expires_in' });
    const page = await list(sim, tok, 0, 10);
    expect(page.room_info?.every((r) => (r.roomid as unknown) === 'abc')).toBe(true);
    expect(typeof (await stable(sim)).expires_in).toBe('string');
  });

  it('short-page: returns fewer rows but the real total', async () => {
    const sim = await startSim({ rooms });
    const tok = await token(sim);
    sim.injectFault({ endpoint: 'list', kind: 'short-page', rows: 3 });
    const page = await list(sim, tok, 0, 10);
    expect(page.room_info).toHaveLength(3);
    expect(page.total).toBe(20);
  });

  it('reset-connection: destroys the socket without an answer', async () => {
    const sim = await startSim({ rooms });
    const tok = await token(sim);
    sim.injectFault({ endpoint: 'list', kind: 'reset-connection' });
    await expect(list(sim, tok, 0, 10)).rejects.toThrow(/fetch failed|socket|ECONNRESET/i);
    expect((await list(sim, tok, 0, 10)).errcode).toBe(0);
    expect(sim.stats()).toMatchObject({ list: 2, rejected: 1 });
    expect(sim.quota().used).toBe(1);
  });

  it('hits stable_token and quota_get too', async () => {
    const sim = await startSim({ rooms });
    const tok = await token(sim);
    sim.injectFault({ endpoint: 'stable_token', kind: 'errcode', errcode: -1 });
    sim.injectFault({ endpoint: 'quota_get', kind: 'drop-field', field: 'quota' });
    expect((await stable(sim)).errcode).toBe(-1);
    expect(await stable(sim)).toHaveProperty('access_token', tok);
    expect(await post(sim, QUOTA_GET, { cgi_path: LIVEINFO }, tok)).toEqual({
      errcode: 0,
      errmsg: 'ok',
    });
  });

  it('clearFaults drops everything queued', async () => {
    const sim = await startSim({ rooms });
    const tok = await token(sim);
    sim.injectFault({ endpoint: 'list', kind: 'errcode', errcode: -1, times: 5 });
    expect(sim.faults()).toHaveLength(1);
    sim.clearFaults();
    expect((await list(sim, tok, 0, 10)).errcode).toBe(0);
  });

  it('close() returns promptly with a hung request and pooled keep-alive sockets', async () => {
    const sim = await startWechatSimulator({ rooms });
    const tok = await token(sim);
    sim.injectFault({ endpoint: 'list', kind: 'hang', ms: 5000 });
    const hung = list(sim, tok, 0, 10).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = performance.now();
    await sim.close();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await hung).toBeInstanceOf(Error);
  });
});

describe('HTTP surface', () => {
  it('adds latencyMs to WeChat endpoints but not to /__sim', async () => {
    const sim = await startSim({ latencyMs: 150 });
    let started = performance.now();
    await stable(sim);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    started = performance.now();
    await control(sim, 'GET', 'stats');
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('answers 404 for unknown paths, 47001 for non-JSON bodies and 43002 for GET on POST APIs', async () => {
    const sim = await startSim();
    expect((await fetch(`${sim.url}/cgi-bin/nope`)).status).toBe(404);
    expect(await post(sim, '/cgi-bin/stable_token', 'not json')).toEqual({
      errcode: 47001,
      errmsg: 'data format error',
    });
    const tok = await token(sim);
    expect((await post(sim, LIVEINFO, '{"start":0,', tok)).errcode).toBe(47001);
    const get = await fetch(`${sim.url}${LIVEINFO}?access_token=${tok}`);
    expect(((await get.json()) as WxAnswer).errcode).toBe(43002);
  });
});

describe('/__sim control routes', () => {
  it('manages rooms: add with defaults, patch, replays, delete, list, generate', async () => {
    const sim = await startSim();
    const added = await control(sim, 'POST', 'rooms', { roomid: 5, name: '🎁 新房间' });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ roomid: 5, name: '🎁 新房间', live_status: 103 });
    expect((await control(sim, 'POST', 'rooms', { roomid: 5 })).status).toBe(409);
    expect((await control(sim, 'POST', 'rooms', { name: 'no id' })).status).toBe(400);
    expect((await control(sim, 'POST', 'rooms', { roomid: 6, live_status: 'x' })).status).toBe(400);

    const patched = await control(sim, 'PATCH', 'rooms/5', { live_status: 101 });
    expect(patched.body).toMatchObject({ roomid: 5, live_status: 101 });
    expect((await control(sim, 'PATCH', 'rooms/77', { live_status: 101 })).status).toBe(404);
    expect((await control(sim, 'PATCH', 'rooms/abc', {})).status).toBe(400);
    expect((await control(sim, 'PUT', 'rooms/5/replays', 'unavailable')).status).toBe(200);
    expect(sim.rooms()[0]?.replays).toBe('unavailable');

    const listed = await control(sim, 'GET', 'rooms');
    expect((listed.body as SimRoom[]).map((r) => r.roomid)).toEqual([5]);
    expect((await control(sim, 'DELETE', 'rooms/5')).body).toEqual({ removed: 5 });
    expect(sim.rooms()).toEqual([]);

    expect((await control(sim, 'POST', 'rooms/generate', { count: 40, seed: 2 })).body).toEqual({
      count: 40,
    });
    expect(sim.rooms()).toHaveLength(40);
  });

  it('queues and clears faults, validating the body', async () => {
    const sim = await startSim({ rooms: [makeRoom({ roomid: 1 })] });
    const bad = await control(sim, 'POST', 'faults', { endpoint: 'list', kind: 'explode' });
    expect(bad.status).toBe(400);
    expect(bad.body).toHaveProperty('error');
    expect(
      (await control(sim, 'POST', 'faults', { endpoint: 'list', kind: 'errcode' })).status,
    ).toBe(400);

    const queued = await control(sim, 'POST', 'faults', {
      endpoint: 'list',
      kind: 'errcode',
      errcode: -1,
      times: 2,
    });
    expect(queued.status).toBe(201);
    expect(sim.faults()).toHaveLength(1);
    const tok = await token(sim);
    expect((await list(sim, tok, 0, 10)).errcode).toBe(-1);
    expect((await control(sim, 'DELETE', 'faults')).body).toEqual([]);
    expect((await list(sim, tok, 0, 10)).errcode).toBe(0);
  });

  it('invalidates tokens, sets the quota, reports and resets stats', async () => {
    const sim = await startSim({ rooms: [makeRoom({ roomid: 1 })] });
    const tok = await token(sim);
    await list(sim, tok, 0, 10);

    expect((await control(sim, 'POST', 'invalidate-tokens')).status).toBe(200);
    expect((await list(sim, tok, 0, 10)).errcode).toBe(40001);

    const quota = await control(sim, 'POST', 'quota', { dailyLimit: 50, used: 49 });
    expect(quota.body).toEqual({ dailyLimit: 50, used: 49, remain: 1 });
    expect((await control(sim, 'POST', 'quota', { used: -1 })).status).toBe(400);
    expect(await quotaOf(sim, await token(sim))).toEqual({ daily_limit: 50, used: 49, remain: 1 });

    expect((await control(sim, 'GET', 'stats')).body).toMatchObject({
      stableToken: 2,
      list: 2,
      quotaGet: 1,
    });
    const reset = await control(sim, 'POST', 'reset-stats');
    expect(reset.body).toEqual({
      stableToken: 0,
      forceRefresh: 0,
      classicToken: 0,
      list: 0,
      replay: 0,
      quotaGet: 0,
      clearQuota: 0,
      rejected: 0,
    });
    expect((await control(sim, 'GET', 'nowhere')).status).toBe(404);
  });
});
