import { describe, expect, it } from 'vitest';

import { ConfigError, loadConfig } from './config.js';

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

  it('treats an empty DEFAULT_ANCHOR_IMG as unset', () => {
    expect(loadConfig({ ...valid, DEFAULT_ANCHOR_IMG: '' }).defaultAnchorImg).toBeNull();
  });
});

describe('.env.example', () => {
  it('is a valid configuration once the required values are filled in', async () => {
    const { parseEnv } = await import('node:util');
    const { readFile } = await import('node:fs/promises');
    const example = parseEnv(await readFile('.env.example', 'utf8'));
    expect(() => loadConfig(example)).not.toThrow();
    expect(Object.keys(example)).toEqual(
      expect.arrayContaining(['WECHAT_APPID', 'DATABASE_URL', 'SYNC_CRON']),
    );
  });
});
