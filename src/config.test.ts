import { readFile } from 'node:fs/promises';
import { parseEnv } from 'node:util';

import { describe, expect, it } from 'vitest';

import { CONFIG_KEYS, ConfigError, loadConfig } from './config.js';

const valid = {
  WECHAT_APPID: 'wx1234567890abcdef',
  WECHAT_SECRET: 'a-very-secret-secret',
  ADMIN_TOKEN: 'admin-token-of-16+chars',
};

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(valid);
    expect(config).toMatchObject({
      databaseUrl: 'mysql://root@127.0.0.1:3306/wxlive',
      redisUrl: 'redis://127.0.0.1:6379/0',
      port: 4000,
      wechat: { apiBase: 'https://api.weixin.qq.com', dailyQuotaFallback: 500 },
      scheduler: { syncCron: '*/10 * * * *', enabled: true },
      defaultAnchorImg: null,
    });
    expect(Object.isFrozen(config.wechat)).toBe(true);
  });

  it('reports every bad or missing setting at once, by name, without echoing values', () => {
    let caught: unknown;
    try {
      loadConfig({
        WECHAT_SECRET: 'short',
        PORT: 'eighty',
        SYNC_CRON: 'every minute',
        DATABASE_URL: 'postgres://x/y',
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const message = (caught as ConfigError).message;
    for (const key of [
      'WECHAT_APPID',
      'WECHAT_SECRET',
      'ADMIN_TOKEN',
      'PORT',
      'SYNC_CRON',
      'DATABASE_URL',
    ]) {
      expect(message).toContain(key);
    }
    expect(message).not.toContain('short');
  });

  it('plans adaptively by default, with the documented budget settings', () => {
    expect(loadConfig(valid).freshness).toEqual({
      mode: 'adaptive',
      targetSeconds: 60,
      fullSyncMinMinutes: 5,
      fullSyncMaxMinutes: 60,
      quotaReserve: 50,
    });
    expect(loadConfig({ ...valid, SYNC_MODE: 'cron', QUOTA_RESERVE: '0' }).freshness).toMatchObject(
      { mode: 'cron', quotaReserve: 0 },
    );
  });

  it('refuses a bad sync mode, a target under 10 s and a minimum full-sync interval above the maximum', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig({ ...valid, ...env });
      } catch (error) {
        return (error as ConfigError).problems.join('\n');
      }
      return '';
    };
    expect(problems({ SYNC_MODE: 'sometimes' })).toContain('SYNC_MODE');
    expect(problems({ FRESHNESS_TARGET_SECONDS: '5' })).toContain('FRESHNESS_TARGET_SECONDS');
    expect(problems({ QUOTA_RESERVE: '-1' })).toContain('QUOTA_RESERVE');
    const interval = problems({ FULL_SYNC_MIN_MINUTES: '90', FULL_SYNC_MAX_MINUTES: '60' });
    expect(interval).toContain('FULL_SYNC_MIN_MINUTES');
    expect(interval).toContain('FULL_SYNC_MAX_MINUTES');
  });

  it('reads REDIS_CLUSTER_NODES into the nodes a cluster client starts from', () => {
    const config = loadConfig({
      ...valid,
      REDIS_URL: 'redis://wxlive:s3cret@ignored.invalid:6379',
      REDIS_CLUSTER_NODES: '10.0.0.5:6379,redis-2.internal:7001',
    });
    expect(config.redisCluster).toEqual({
      nodes: [
        { host: '10.0.0.5', port: 6379 },
        { host: 'redis-2.internal', port: 7001 },
      ],
    });
    expect(config.redisSentinel).toBeNull();
    expect(Object.isFrozen(config.redisCluster!.nodes[0])).toBe(true);
  });

  it('leaves the cluster off when REDIS_CLUSTER_NODES is empty', () => {
    expect(loadConfig({ ...valid, REDIS_CLUSTER_NODES: '' }).redisCluster).toBeNull();
  });

  it.each([
    ['a list without ports', { REDIS_CLUSTER_NODES: '10.0.0.5,10.0.0.6' }, 'host:port'],
    ['a port out of range', { REDIS_CLUSTER_NODES: '10.0.0.5:70000' }, '1-65535'],
    ['a space in the list', { REDIS_CLUSTER_NODES: '10.0.0.5:6379, 10.0.0.6:6379' }, 'host:port'],
    [
      'Sentinel as well',
      { REDIS_CLUSTER_NODES: '10.0.0.5:6379', REDIS_SENTINELS: '10.0.0.9:26379' },
      'REDIS_SENTINELS',
    ],
  ])('refuses REDIS_CLUSTER_NODES with %s, naming the key', (_case, env, hint) => {
    expect(() => loadConfig({ ...valid, ...env })).toThrow(
      expect.objectContaining({
        problems: [expect.stringMatching(new RegExp(`^REDIS_CLUSTER_NODES: .*${hint}`))],
      }),
    );
  });

  it('refuses a REDIS_URL database other than 0 on a cluster, which has no other', () => {
    expect(() =>
      loadConfig({ ...valid, REDIS_CLUSTER_NODES: '10.0.0.5:6379', REDIS_URL: 'redis://h/3' }),
    ).toThrow(/REDIS_URL: must name database 0/);
    expect(
      loadConfig({ ...valid, REDIS_CLUSTER_NODES: '10.0.0.5:6379', REDIS_URL: 'redis://h/0' })
        .redisCluster,
    ).not.toBeNull();
  });

  it('reports a Redis conflict together with the other bad settings', () => {
    expect(() =>
      loadConfig({
        REDIS_CLUSTER_NODES: '10.0.0.5:6379',
        REDIS_SENTINELS: '10.0.0.9:26379',
        PORT: 'eighty',
      }),
    ).toThrow(
      expect.objectContaining({
        problems: expect.arrayContaining([
          expect.stringMatching(/^WECHAT_APPID: /),
          expect.stringMatching(/^PORT: /),
          expect.stringMatching(/^REDIS_CLUSTER_NODES: cannot be combined with REDIS_SENTINELS/),
        ]),
      }),
    );
  });

  it('treats an empty DEFAULT_ANCHOR_IMG as unset', () => {
    expect(loadConfig({ ...valid, DEFAULT_ANCHOR_IMG: '' }).defaultAnchorImg).toBeNull();
  });
});

/**
 * Read by the start command (`npm start`, the Docker image's CMD) before Node runs, hence not part
 * of the config schema; `.env.example` documents it with the others.
 */
const READ_BY_THE_START_COMMAND = ['WXLIVE_MAX_HEAP_MB'];

describe('.env.example', () => {
  const readExample = async () => parseEnv(await readFile('.env.example', 'utf8'));

  it('lists exactly the config schema’s settings, plus those of the start command', async () => {
    const listed = Object.keys(await readExample()).sort();
    expect(listed).toEqual([...CONFIG_KEYS, ...READ_BY_THE_START_COMMAND].sort());
  });

  it('lists as start-command settings only what npm start and the image’s CMD really read', async () => {
    const packageJson = JSON.parse(await readFile('package.json', 'utf8')) as {
      scripts: Record<string, string>;
    };
    const dockerCmd = (await readFile('Dockerfile', 'utf8'))
      .split('\n')
      .find((line) => line.startsWith('CMD '));
    for (const key of READ_BY_THE_START_COMMAND) {
      expect(packageJson.scripts.start).toContain(`\${${key}`);
      expect(dockerCmd).toContain(`\${${key}}`);
    }
  });

  it('is a valid configuration once the required values are filled in', async () => {
    const example = await readExample();
    expect(() => loadConfig(example)).not.toThrow();
    expect(Object.keys(example)).toEqual(
      expect.arrayContaining(['WECHAT_APPID', 'DATABASE_URL', 'SYNC_CRON']),
    );
  });
});
