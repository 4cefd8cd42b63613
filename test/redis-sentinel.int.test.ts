import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { roomsFixture } from './support/fixtures.js';
import { createPrivateRedis, redisAnswers, type PrivateRedis } from './support/private-redis.js';
import { freePort, spawnWatched, waitUntil, type WatchedProcess } from './support/processes.js';
import { ROOMS, SYNC_ROOMS } from './support/queries.js';
import { startTestApp, type TestApp } from './support/test-app.js';

// A private master and a private sentinel watching it: the machine's shared Redis is not involved.
let master: PrivateRedis;
let sentinel: WatchedProcess;
let sentinelDir: string;
let sentinelPort: number;
let t: TestApp | undefined;

beforeAll(async () => {
  master = await createPrivateRedis();
  sentinelPort = await freePort();
  sentinelDir = await mkdtemp(join(tmpdir(), 'wxlive-sentinel-'));
  const conf = join(sentinelDir, 'sentinel.conf');
  await writeFile(
    conf,
    [
      `port ${sentinelPort}`,
      'bind 127.0.0.1',
      `dir ${sentinelDir}`,
      `sentinel monitor wxlivetest 127.0.0.1 ${master.port} 1`,
      'sentinel down-after-milliseconds wxlivetest 5000',
      '',
    ].join('\n'),
  );
  sentinel = spawnWatched('redis-server', [conf, '--sentinel']);
  await waitUntil('the sentinel to answer', () => redisAnswers(sentinelPort), {
    timeoutMs: 10_000,
  });
});

afterAll(async () => {
  await t?.close();
  await sentinel?.stop();
  await master?.close();
  if (sentinelDir) await rm(sentinelDir, { recursive: true, force: true });
});

describe('Redis through Sentinel', () => {
  it('finds the master through REDIS_SENTINELS and keeps its keys there', async () => {
    t = await startTestApp({
      sim: { rooms: roomsFixture(3) },
      env: {
        // The host here is ignored with Sentinel; the URL still gives the database number.
        REDIS_URL: 'redis://ignored.invalid:6379/0',
        REDIS_SENTINELS: `127.0.0.1:${sentinelPort}`,
        REDIS_SENTINEL_NAME: 'wxlivetest',
      },
    });
    const answer = await t.gql(SYNC_ROOMS, {}, { admin: true });
    expect(answer.errors).toBeUndefined();
    expect((await t.gql<{ rooms: { totalCount: number } }>(ROOMS, {})).data!.rooms.totalCount).toBe(
      3,
    );

    const direct = new Redis(master.url);
    try {
      const keys = await direct.keys(`wxlive:{${t.appId}}:*`);
      expect(keys).toEqual(expect.arrayContaining([`wxlive:{${t.appId}}:token`]));
    } finally {
      direct.disconnect();
    }
  });
});
