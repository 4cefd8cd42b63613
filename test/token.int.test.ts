import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { createLogger } from '../src/logger.js';
import { createRedis, whenRedisReady, type RedisClient } from '../src/redis/client.js';
import { redisKeys } from '../src/redis/keys.js';
import { createTokenService, type TokenService } from '../src/wechat/token.service.js';
import { createWechatHttp } from '../src/wechat/wechat.http.js';
import { WechatApiError } from '../src/wechat/wechat.errors.js';
import { startWechatSimulator, type WechatSimulator } from '../src/wechat-sim/sim.server.js';
import { roomsFixture } from './support/fixtures.js';
import { SYNC_ROOMS } from './support/queries.js';
import { startTestApp, uniqueAppId } from './support/test-app.js';
import { TEST_REDIS_URL } from './support/test-env.js';

const logger = createLogger({ level: 'silent', pretty: false });
let redis: RedisClient;
let sim: WechatSimulator;
let appId: string;

function tokenService(overrides: { secret?: string } = {}): TokenService {
  return createTokenService({
    appid: appId,
    secret: overrides.secret ?? sim.secret,
    http: createWechatHttp({ apiBase: sim.url, timeoutMs: 2000 }),
    redis,
    logger,
  });
}

beforeAll(async () => {
  redis = createRedis(TEST_REDIS_URL);
  await whenRedisReady(redis);
});
afterAll(() => {
  redis.disconnect();
});
afterEach(async () => {
  await sim?.close();
});

async function freshSim(options: { tokenTtlSeconds?: number } = {}) {
  appId = uniqueAppId();
  sim = await startWechatSimulator({ appid: appId, ...options });
}

describe('access token', () => {
  it('fetches once for many concurrent callers and caches it in Redis a little under expires_in', async () => {
    await freshSim();
    const services = [tokenService(), tokenService(), tokenService()];
    const tokens = await Promise.all(
      services.flatMap((service) => [service.getToken(), service.getToken()]),
    );
    expect(new Set(tokens).size).toBe(1);
    expect(sim.stats().stableToken).toBe(1);
    const ttl = await redis.ttl(redisKeys.accessToken(appId));
    expect(ttl).toBeGreaterThan(7200 - 180);
    expect(ttl).toBeLessThan(7200);
  });

  it('drops a rejected token only if it is still the cached one', async () => {
    await freshSim();
    const service = tokenService();
    const first = await service.getToken();
    await redis.set(redisKeys.accessToken(appId), 'replaced-by-another-instance', 'EX', 600);
    // Another instance already replaced it: keep theirs, fetch nothing.
    expect(await service.replaceRejected(first, { mayForceRefresh: true })).toBe(
      'replaced-by-another-instance',
    );
    expect(sim.stats().stableToken).toBe(1);
  });

  it('hands back a token WeChat still issues once, and force-refreshes only when it is rejected again', async () => {
    await freshSim();
    const service = tokenService();
    const first = await service.getToken();
    // WeChat still reports `first` as its current stable token, so a plain fetch returns it again:
    // on a first rejection it is offered for one retry, without spending a force_refresh.
    expect(await service.replaceRejected(first, { mayForceRefresh: false })).toBe(first);
    expect(sim.stats()).toMatchObject({ stableToken: 2, forceRefresh: 0 });
    // Rejected again: now force_refresh replaces it.
    const second = await service.replaceRejected(first, { mayForceRefresh: true });
    expect(second).not.toBe(first);
    expect(sim.stats().forceRefresh).toBe(1);
    // Rejected again within 30 s: no second force_refresh, and no token to offer but the bad one.
    expect(await service.replaceRejected(second!, { mayForceRefresh: true })).toBeNull();
    expect(sim.stats().forceRefresh).toBe(1);
  });

  it('renews the cache on schedule when the token is close to expiry, and leaves a fresh one alone', async () => {
    await freshSim({ tokenTtlSeconds: 600 });
    const service = tokenService();
    await service.getToken();
    expect(await service.refreshIfExpiring()).toBe('refreshed');
    await freshSim();
    const fresh = tokenService();
    await fresh.getToken();
    expect(await fresh.refreshIfExpiring()).toBe('fresh');
    expect(sim.stats().stableToken).toBe(1);
  });

  it('surfaces a wrong secret as a typed WeChat error with its errcode', async () => {
    await freshSim();
    const error = await tokenService({ secret: 'not-the-secret' })
      .getToken()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WechatApiError);
    expect((error as WechatApiError).errcode).toBe(40125);
  });
});

describe('token rejected during a call', () => {
  it('retries with a fresh token, then a forced one, and never loops', async () => {
    const t = await startTestApp({ sim: { rooms: roomsFixture(3) } });
    try {
      t.sim.injectFault({ endpoint: 'list', kind: 'errcode', errcode: 40001, times: 5 });
      const answer = await t.gql(SYNC_ROOMS, {}, { admin: true });
      expect(answer.errors?.[0]?.extensions).toEqual({ code: 'WECHAT_ERROR', errcode: 40001 });
      // First try; a retry with the freshly fetched (same) token; one with a force-refreshed
      // token; then the call gives up: three list calls, one force_refresh, never a loop.
      expect(t.sim.stats().list).toBe(3);
      expect(t.sim.stats().forceRefresh).toBe(1);
    } finally {
      await t.close();
    }
  });
});
