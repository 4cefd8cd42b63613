import type { Logger } from 'pino';

import type { RedisClient } from '../redis/client.js';
import { redisKeys } from '../redis/keys.js';
import { tryAcquireLock } from '../redis/lock.js';
import { sleep } from './backoff.js';
import { chinaDay, msUntilChinaMidnight } from './wechat-time.js';
import { TokenUnavailableError, WechatApiError, type WechatEndpoint } from './wechat.errors.js';
import type { WechatHttp } from './wechat.http.js';
import { wechatStatusSchema, wechatTokenSchema } from './wechat.schemas.js';
import { parseWith } from './wechat.parse.js';

/** Cache a token this much shorter than WeChat says, so nobody sends one that expires in flight. */
const EXPIRY_MARGIN_SECONDS = 120;
/** The scheduled refresh renews a cached token with less than this left. */
const REFRESH_WHEN_LEFT_SECONDS = 15 * 60;
/** WeChat's force_refresh rules: 20 a day, and calls under 30 s apart do not refresh again. */
const FORCE_REFRESH_DAILY_LIMIT = 20;
const FORCE_REFRESH_SPACING_MS = 30_000;
const REFRESH_LOCK_TTL_MS = 15_000;
const WAIT_FOR_OTHER_INSTANCE_MS = 10_000;

const STABLE_TOKEN: WechatEndpoint = '/cgi-bin/stable_token';

export interface TokenServiceOptions {
  appid: string;
  secret: string;
  http: WechatHttp;
  redis: RedisClient;
  logger: Logger;
}

/** Counts the token fetches a piece of work caused (a sync reports them). */
export interface TokenMeter {
  tokenCalls: number;
}

export interface TokenService {
  /** The cached token, fetching one (once across all instances) when there is none. */
  getToken(meter?: TokenMeter): Promise<string>;
  /**
   * Called after WeChat rejected `rejected`: drops it from the cache (only if it is still the
   * cached one) and returns a freshly fetched token. The stable-token API hands back the same
   * token while WeChat thinks it valid; that one is returned once for a retry (the rejection may
   * have been a glitch), and only with `mayForceRefresh` (the freshly fetched token was rejected
   * too) is it replaced by force_refresh, within WeChat's budget. Null when that budget leaves no
   * token to try but the rejected one.
   */
  replaceRejected(
    rejected: string,
    options: { mayForceRefresh: boolean },
    meter?: TokenMeter,
  ): Promise<string | null>;
  /** For the scheduled job: renews the cached token when it is missing or close to expiry. */
  refreshIfExpiring(): Promise<'refreshed' | 'fresh' | 'locked'>;
  /** Seconds the cached token has left, or null when none is cached. */
  cachedTtlSeconds(): Promise<number | null>;
  /** Seconds since the cached token was fetched (by any instance), or null when none is cached. */
  cachedAgeSeconds(): Promise<number | null>;
}

// Delete only if the cached token is still the one that failed: another instance may have replaced it.
const DELETE_IF_EQUAL = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export function createTokenService(options: TokenServiceOptions): TokenService {
  const { appid, secret, http, redis, logger } = options;
  const tokenKey = redisKeys.accessToken(appid);
  const fetchedAtKey = redisKeys.accessTokenFetchedAt(appid);

  /** The token and when it was fetched, expiring together. */
  async function storeToken(token: string, ttlSeconds: number): Promise<void> {
    await redis
      .multi()
      .set(tokenKey, token, 'EX', ttlSeconds)
      .set(fetchedAtKey, String(Date.now()), 'EX', ttlSeconds)
      .exec();
  }

  async function fetchFromWechat(forceRefresh: boolean): Promise<{ token: string; ttl: number }> {
    const body = await http.post(STABLE_TOKEN, {
      grant_type: 'client_credential',
      appid,
      secret,
      force_refresh: forceRefresh,
    });
    const status = parseWith(wechatStatusSchema, body, STABLE_TOKEN);
    if (status.errcode) {
      throw new WechatApiError(status.errcode, status.errmsg ?? '', STABLE_TOKEN);
    }
    const answer = parseWith(wechatTokenSchema, body, STABLE_TOKEN);
    return {
      token: answer.access_token,
      ttl: Math.max(30, answer.expires_in - EXPIRY_MARGIN_SECONDS),
    };
  }

  /** Fetches and caches a token while holding the refresh lock; others wait for the cache. */
  async function refresh(
    meter: TokenMeter | undefined,
    forceRefresh: boolean,
    shouldFetch: () => Promise<boolean>,
  ): Promise<string> {
    const deadline = Date.now() + WAIT_FOR_OTHER_INSTANCE_MS;
    for (;;) {
      const lock = await tryAcquireLock(
        redis,
        redisKeys.tokenRefreshLock(appid),
        REFRESH_LOCK_TTL_MS,
      );
      if (lock) {
        try {
          // Another instance may have refreshed between our read and our lock.
          if (!(await shouldFetch())) {
            const cached = await redis.get(tokenKey);
            if (cached) return cached;
          }
          if (meter) meter.tokenCalls += 1;
          const { token, ttl } = await fetchFromWechat(forceRefresh);
          await storeToken(token, ttl);
          logger.info({ ttlSeconds: ttl, forceRefresh }, 'wechat access token refreshed');
          return token;
        } finally {
          await lock.release();
        }
      }
      await sleep(100);
      const cached = await redis.get(tokenKey);
      if (cached && !forceRefresh) return cached;
      if (Date.now() > deadline) {
        throw new TokenUnavailableError(
          'Timed out waiting for another instance to refresh the access token',
        );
      }
    }
  }

  /** Reserves one force_refresh within WeChat's budget; false when the budget does not allow it. */
  async function reserveForceRefresh(): Promise<boolean> {
    const spaced = await redis.set(
      redisKeys.forceRefreshLast(appid),
      String(Date.now()),
      'PX',
      FORCE_REFRESH_SPACING_MS,
      'NX',
    );
    if (spaced !== 'OK') return false;
    const budgetKey = redisKeys.forceRefreshBudget(appid, chinaDay());
    const [[, used]] = (await redis
      .multi()
      .incr(budgetKey)
      .pexpire(budgetKey, msUntilChinaMidnight() + 60_000)
      .exec()) as [[Error | null, number], [Error | null, number]];
    return used <= FORCE_REFRESH_DAILY_LIMIT;
  }

  return {
    async getToken(meter) {
      const cached = await redis.get(tokenKey);
      if (cached) return cached;
      return refresh(meter, false, async () => !(await redis.get(tokenKey)));
    },

    async replaceRejected(rejected, { mayForceRefresh }, meter) {
      await redis.eval(DELETE_IF_EQUAL, 1, tokenKey, rejected);
      const fresh = await refresh(meter, false, async () => {
        const cached = await redis.get(tokenKey);
        return !cached || cached === rejected;
      });
      // force_refresh is scarce (20 a day) and knocks the token out for every instance: not for
      // a first rejection of a token WeChat still hands out.
      if (fresh !== rejected || !mayForceRefresh) return fresh;
      // The freshly fetched token was rejected too: only a force refresh replaces it.
      if (!(await reserveForceRefresh())) {
        logger.warn('access token rejected again, but the force_refresh budget is spent');
        return null;
      }
      logger.warn('access token rejected although fresh: forcing a refresh');
      return refresh(meter, true, async () => true);
    },

    async refreshIfExpiring() {
      const ttl = await redis.ttl(tokenKey);
      if (ttl > REFRESH_WHEN_LEFT_SECONDS) return 'fresh';
      const lock = await tryAcquireLock(
        redis,
        redisKeys.tokenRefreshLock(appid),
        REFRESH_LOCK_TTL_MS,
      );
      if (!lock) return 'locked';
      try {
        // With the stable token API WeChat returns the same token until it rotates it (5 minutes
        // before expiry), so this renews the cache's TTL or picks up the rotated token.
        const { token, ttl: freshTtl } = await fetchFromWechat(false);
        await storeToken(token, freshTtl);
        logger.info({ ttlSeconds: freshTtl }, 'scheduled access token refresh');
        return 'refreshed';
      } finally {
        await lock.release();
      }
    },

    async cachedAgeSeconds() {
      const [token, fetchedAt] = await redis.mget(tokenKey, fetchedAtKey);
      return token && fetchedAt ? Math.round((Date.now() - Number(fetchedAt)) / 1000) : null;
    },

    async cachedTtlSeconds() {
      const ttl = await redis.ttl(tokenKey);
      return ttl > 0 ? ttl : null;
    },
  };
}
