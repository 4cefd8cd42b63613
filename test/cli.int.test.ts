import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { connectionOptions, databaseName } from '../src/db/client.js';
import { createFreshnessStore } from '../src/freshness/freshness.store.js';
import { redisKeys } from '../src/redis/keys.js';
import type { SimRoom } from '../src/wechat-sim/sim.rooms.js';
import { startWechatSimulator, type WechatSimulator } from '../src/wechat-sim/sim.server.js';
import {
  REPO_ROOT,
  cliEnv,
  runCli,
  runCliBin,
  runCliInTerminal,
  type CliResult,
} from './support/cli-run.js';
import { endedRoom, roomsFixture } from './support/fixtures.js';
import { uniqueAppId } from './support/test-app.js';
import { TEST_ADMIN_TOKEN, TEST_REDIS_URL, testDatabaseUrl } from './support/test-env.js';

/** An account of its own on a simulator of its own, and the settings that point the CLI at it. */
interface Account {
  appId: string;
  sim: WechatSimulator;
  settings: Record<string, string>;
}

const lines = (text: string) => text.split(/\r?\n/).filter((line) => line.length > 0);

let cwd: string;
let db: mysql.Connection;
const accounts: Account[] = [];

beforeAll(async () => {
  // An empty working directory: a developer's .env in the checkout must not leak into the tests.
  cwd = await mkdtemp(join(tmpdir(), 'wxlive-cli-'));
  db = await mysql.createConnection(connectionOptions(testDatabaseUrl()));
});

afterAll(async () => {
  await Promise.all(accounts.map(({ sim }) => sim.close()));
  await db.end();
  await rm(cwd, { recursive: true, force: true });
});

/** A simulator of its own with a fresh app id, closed after the file. */
async function openAccount(rooms: SimRoom[]): Promise<Account> {
  const appId = uniqueAppId();
  const sim = await startWechatSimulator({ appid: appId, rooms });
  const settings = {
    DATABASE_URL: testDatabaseUrl(),
    REDIS_URL: TEST_REDIS_URL,
    WECHAT_APPID: appId,
    WECHAT_SECRET: sim.secret,
    WECHAT_API_BASE: sim.url,
    WECHAT_TIMEOUT_MS: '2000',
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
  };
  const opened = { appId, sim, settings };
  accounts.push(opened);
  return opened;
}

function run(args: string[], settings: Record<string, string>): Promise<CliResult> {
  return runCli(args, { cwd, env: cliEnv(settings) });
}

async function storedRooms(appId: string): Promise<Array<{ room_id: number; pinned: number }>> {
  const [rows] = await db.query(
    'select room_id, pinned from rooms where app_id = ? and archived_at is null order by room_id',
    [appId],
  );
  return rows as Array<{ room_id: number; pinned: number }>;
}

describe('wxlive on a synced account', () => {
  let shop: Account;
  let firstSync: CliResult;
  const replay = {
    create_time: '2026-11-11T03:49:55Z',
    expire_time: '2027-11-11T03:49:55Z',
    media_url: 'https://vod.example/cli.mp4',
  };

  beforeAll(async () => {
    // 1000 listed rooms are 20 pages of 50; room 1 has ended with replay on, so replays are asked.
    shop = await openAccount([...roomsFixture(1000), endedRoom(1)]);
    firstSync = await run(['sync'], shop.settings);
  });

  it('syncs every room, printing throttled plain progress and a one-line summary', async () => {
    expect(firstSync.stderr).toBe('');
    expect(firstSync.code).toBe(0);
    const out = lines(firstSync.stdout);
    const listLines = out.filter((line) => line.startsWith('list '));
    // 21 pages read in well under a second: the first line and the last, not one per page.
    expect(listLines[0]).toBe('list 1/21 pages, 50 rooms');
    expect(listLines.at(-1)).toMatch(/^list 21\/21 pages, \d+ rooms$/);
    expect(listLines.length).toBeLessThanOrEqual(3);
    expect(out).toContain('replays 0/1 rooms checked');
    expect(out).toContain('applying 1001 new or changed rooms');
    expect(out.at(-1)).toMatch(
      /^sync run \d+ succeeded in .+: 1001 added, 0 updated, 0 archived, 0 restored; 0 replay segments; 23 WeChat calls \(21 list, 1 replay, 1 token\)$/,
    );
    expect(await storedRooms(shop.appId)).toHaveLength(1001);
  });

  it('lists the run recorded with trigger cli', async () => {
    const result = await run(['runs', '--limit', '5'], shop.settings);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const [header, ...rows] = lines(result.stdout);
    expect(header).toMatch(/^\s*ID\s+TRIGGER\s+KIND\s+OUTCOME\s+STARTED \(UTC\)\s+TOOK\s+ADDED/);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(
      /^\s*\d+\s+cli\s+full\s+succeeded\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+\S+ m?s\s+1001\s+0\s+0\s+0\s+0\s+21\/1\/1$/,
    );
  });

  it('shows the adaptive plan an instance saved, and its last transitions', async () => {
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const store = createFreshnessStore(redis, shop.appId);
      const plannedAt = Date.parse('2026-12-01T02:00:00Z');
      await store.savePlan({
        appId: shop.appId,
        plannedAt,
        budget: {
          day: '2026-12-01',
          limit: 500,
          used: 180,
          reserve: 50,
          left: 270,
          endsAt: plannedAt + 14 * 3_600_000,
        },
        intervals: {
          startingSeconds: 60,
          endingSeconds: 90,
          liveSeconds: 600,
          replaysSeconds: 1800,
          fullSyncSeconds: 3600,
        },
        lastFullSyncAt: plannedAt - 600_000,
        next: [
          {
            kind: 'targeted',
            at: plannedAt + 30_000,
            roomIds: [1005],
            pages: [19],
            calls: 1,
            reason: 'starting',
          },
        ],
        hotRooms: [
          {
            roomId: 1005,
            reason: 'starting',
            dueAt: plannedAt + 30_000,
            confirmedAt: plannedAt - 30_000,
          },
        ],
      });
      await store.addTransitions([
        {
          roomId: 1003,
          from: 102,
          to: 101,
          seenAt: plannedAt - 5_000,
          lagAtMostSeconds: 62,
          kind: 'targeted',
        },
      ]);
      const result = await run(['freshness'], shop.settings);
      expect(result).toMatchObject({ code: 0, stderr: '' });
      const out = lines(result.stdout);
      expect(out[0]).toBe('sync mode: adaptive; planned at 2026-12-01 02:00:00Z');
      expect(out[1]).toBe(
        'budget 2026-12-01: limit 500, used 180, reserve 50, left 270; 0 reads skipped today',
      );
      expect(out).toContain('  2026-12-01 02:00:30Z  targeted 1 call   rooms 1005  (starting)');
      expect(out).toContain('  1005  starting due 2026-12-01 02:00:30Z');
      expect(out).toContain(
        '  2026-12-01 01:59:55Z  room 1003 not_started -> live  lag at most 62s (targeted)',
      );
    } finally {
      redis.disconnect();
    }
  });

  it('says the planner is off in cron mode', async () => {
    const result = await run(['freshness'], { ...shop.settings, SYNC_MODE: 'cron' });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(
      `sync mode: cron (SYNC_CRON); the adaptive planner is off for ${shop.appId}\n`,
    );
  });

  it('pins and unpins a room', async () => {
    const pin = await run(['pin', '1005'], shop.settings);
    expect(pin).toMatchObject({ code: 0, stderr: '', stdout: 'room 1005 pinned (房间 1005)\n' });
    expect((await storedRooms(shop.appId)).find((room) => room.room_id === 1005)?.pinned).toBe(1);

    const unpin = await run(['unpin', '1005'], shop.settings);
    expect(unpin).toMatchObject({
      code: 0,
      stderr: '',
      stdout: 'room 1005 unpinned (房间 1005)\n',
    });
    expect((await storedRooms(shop.appId)).every((room) => room.pinned === 0)).toBe(true);
  });

  it("fetches a room's replays from WeChat now", async () => {
    shop.sim.setReplays(1, [replay]);
    const result = await run(['replay', '1'], shop.settings);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(lines(result.stdout)).toEqual([
      'room 1 (回放房间 1): 1 replay segment',
      '  2026-11-11T03:49:55.000Z  expires 2027-11-11T03:49:55.000Z  https://vod.example/cli.mp4',
    ]);
  });

  it('fails with one NOT_FOUND line for a room it does not know', async () => {
    const [replayed, pinned] = await Promise.all([
      run(['replay', '5'], shop.settings),
      run(['pin', '5'], shop.settings),
    ]);
    for (const result of [replayed, pinned]) {
      expect(result).toEqual({
        code: 1,
        stdout: '',
        stderr: 'wxlive: NOT_FOUND: Room 5 is not known (or archived)\n',
      });
    }
  });

  it("shows today's quota as counted for every getliveinfo call", async () => {
    const result = await run(['quota'], shop.settings);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const match = /^(\d{4}-\d\d-\d\d) \(China day\): (\d+) used of (\d+), (\d+) remaining\n$/.exec(
      result.stdout,
    );
    expect(match).not.toBeNull();
    const stats = shop.sim.stats();
    // Every list and replay call the sync and the replay command made, against WeChat's limit.
    expect(Number(match![2])).toBe(stats.list + stats.replay);
    expect(Number(match![3])).toBe(shop.sim.quota().dailyLimit);
    expect(Number(match![4])).toBe(Number(match![3]) - Number(match![2]));
  });

  it('refuses to start while another sync holds the lock', async () => {
    const redis = new Redis(TEST_REDIS_URL);
    try {
      await redis.set(redisKeys.syncLock(shop.appId), 'another-instance', 'PX', 10_000);
      const listCalls = shop.sim.stats().list;
      const result = await run(['sync'], shop.settings);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(
        /^wxlive: SYNC_IN_PROGRESS: A sync is already running[^\n]*\n$/,
      );
      expect(shop.sim.stats().list).toBe(listCalls);
    } finally {
      await redis.del(redisKeys.syncLock(shop.appId));
      redis.disconnect();
    }
  });
});

describe('wxlive output when WeChat misbehaves', () => {
  it('shows service warnings as short stderr lines and a failed sync as one line', async () => {
    const shop = await openAccount([...roomsFixture(3), endedRoom(1)]);
    shop.sim.injectFault({ endpoint: 'replay', kind: 'errcode', errcode: 40097 });
    const partial = await run(['sync'], shop.settings);
    expect(partial.code).toBe(0);
    // One room's replay failure only postpones that room: a warning, in a line, not pino JSON.
    expect(partial.stderr).toMatch(
      /^\[warn\] sync: could not fetch replays; will ask again later roomId=1 err="[^"\n]*errcode 40097[^\n]*"\n$/,
    );
    expect(lines(partial.stdout).at(-1)).toMatch(/^sync run \d+ succeeded .*: 4 added/);

    shop.sim.injectFault({ endpoint: 'list', kind: 'errcode', errcode: 48001 });
    const failed = await run(['sync'], shop.settings);
    expect(failed.code).toBe(1);
    // The service's own error record of the failure is not repeated next to the reason.
    expect(failed.stderr).toMatch(
      /^wxlive: WECHAT_ERROR: WeChat \/wxa\/business\/getliveinfo answered errcode 48001: [^\n]+\n$/,
    );
    expect(failed.stdout).not.toMatch(/succeeded/);
  });
});

describe('wxlive in a terminal', () => {
  it('draws a progress bar for pages, rooms, replays and the apply step', async () => {
    const shop = await openAccount([...roomsFixture(120), endedRoom(1)]);
    const result = await runCliInTerminal(['sync'], { cwd, env: cliEnv(shop.settings) });
    expect(result.code).toBe(0);
    const screen = result.stdout;
    expect(screen).toMatch(/listing +\u2588+\u2591* \d\/3 pages · \d+ rooms/);
    expect(screen).toMatch(/replays +[\u2588\u2591]{30} \d\/1 rooms checked for replays/);
    expect(screen).toMatch(/applying +\u2588{30} writing 121 rooms/);
    // The bar is redrawn in place (carriage moves), and the summary starts on a line of its own.
    expect(screen).toContain('\u001b[1G');
    expect(lines(screen).at(-1)).toMatch(/^sync run \d+ succeeded in .+: 121 added/);
    expect(await storedRooms(shop.appId)).toHaveLength(121);
  });
});

describe('wxlive usage and configuration', () => {
  it('exits 2 with a one-line hint on bad usage', async () => {
    const settings = { WECHAT_APPID: 'wxnotused0001' };
    const [unknown, badRoom, badLimit, none] = await Promise.all([
      run(['frobnicate'], settings),
      run(['pin', 'abc'], settings),
      run(['runs', '--limit', '0'], settings),
      run([], settings),
    ]);
    expect(unknown).toEqual({
      code: 2,
      stdout: '',
      stderr: 'wxlive: unknown command "frobnicate" (see "wxlive --help")\n',
    });
    expect(badRoom.code).toBe(2);
    expect(badRoom.stderr).toBe(
      'wxlive: room id must be a positive integer (got "abc") (see "wxlive --help")\n',
    );
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toMatch(/^wxlive: --limit must be between 1 and 200[^\n]*\n$/);
    expect(none).toMatchObject({
      code: 2,
      stderr: 'wxlive: missing command (see "wxlive --help")\n',
    });
  });

  it('prints help and, through bin/wxlive.js, the package version', async () => {
    const [help, bin] = await Promise.all([
      run(['--help'], {}),
      runCliBin(['--version'], { cwd, env: cliEnv({}) }),
    ]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: wxlive <command>/);
    for (const command of [
      'sync',
      'replay <roomId>',
      'pin <roomId>',
      'unpin <roomId>',
      'quota',
      'runs [--limit N]',
      'migrate',
    ]) {
      expect(help.stdout).toContain(`  ${command}`);
    }
    const { version } = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(bin).toEqual({ code: 0, stdout: `wxlive ${version}\n`, stderr: '' });
  });

  it('exits 1 naming a missing setting, never echoing a value', async () => {
    const result = await run(['quota'], {
      WECHAT_SECRET: 'a-secret-that-must-not-show',
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('wxlive: CONFIG_INVALID: WECHAT_APPID: missing\n');
  });

  it('reads its settings from .env in the working directory', async () => {
    const shop = await openAccount(roomsFixture(3));
    const dir = await mkdtemp(join(tmpdir(), 'wxlive-cli-env-'));
    try {
      const dotEnv = Object.entries(shop.settings).map(([key, value]) => `${key}=${value}`);
      await writeFile(join(dir, '.env'), `${dotEnv.join('\n')}\n`);
      const result = await runCli(['sync'], { cwd: dir, env: cliEnv({}) });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(await storedRooms(shop.appId)).toHaveLength(3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('migrates a new database with nothing but DATABASE_URL', async () => {
    const url = new URL(testDatabaseUrl());
    url.pathname = `/${databaseName(testDatabaseUrl())}_cli`;
    const name = databaseName(url.toString());
    try {
      const result = await run(['migrate'], { DATABASE_URL: url.toString() });
      expect(result).toEqual({ code: 0, stdout: `migrations applied to ${name}\n`, stderr: '' });
      const [tables] = await db.query(
        'select table_name as name from information_schema.tables where table_schema = ? order by 1',
        [name],
      );
      expect((tables as Array<{ name: string }>).map((table) => table.name)).toEqual(
        expect.arrayContaining(['rooms', 'sync_runs']),
      );
    } finally {
      await db.query(`drop database if exists \`${name}\``);
    }
  });

  it('tells to migrate when the database is not there', async () => {
    const url = new URL(testDatabaseUrl());
    url.pathname = `/${databaseName(testDatabaseUrl())}_absent`;
    const shop = await openAccount(roomsFixture(1));
    const result = await run(['runs'], { ...shop.settings, DATABASE_URL: url.toString() });
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'wxlive: NOT_MIGRATED: the database does not exist; run "wxlive migrate" first\n',
    });
  });
});
