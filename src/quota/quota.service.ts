import type { RedisClient } from '../redis/client.js';
import { redisKeys } from '../redis/keys.js';
import { chinaDay, msUntilChinaMidnight } from '../wechat/wechat-time.js';
import type { CallLedger } from '../wechat/wechat.client.js';
import { QuotaExhaustedError } from '../wechat/wechat.errors.js';

/** Keys outlive their China day by an hour, so a call at 23:59:59 is never counted twice. */
const KEY_GRACE_MS = 60 * 60 * 1000;
/** A limit we could not read from WeChat is re-read after this long. */
const FALLBACK_LIMIT_TTL_MS = 10 * 60 * 1000;

/**
 * Counts a call and refuses it, atomically, when it would go over the day's limit.
 * KEYS: used, limit, spent. ARGV: fallback limit, key expiry (ms). Returns used after the call, or -1.
 */
const RESERVE_SCRIPT = `
if redis.call('exists', KEYS[3]) == 1 then return -1 end
local limit = tonumber(redis.call('get', KEYS[2]) or ARGV[1])
local used = tonumber(redis.call('get', KEYS[1]) or '0')
if used + 1 > limit then return -1 end
used = redis.call('incr', KEYS[1])
redis.call('pexpire', KEYS[1], ARGV[2])
return used`;

export interface QuotaSnapshot {
  /** China calendar day, YYYY-MM-DD. */
  day: string;
  used: number;
  limit: number;
  remaining: number;
  /** WeChat answered 45009 today: nothing more is sent until the next day. */
  exhausted: boolean;
}

/** The daily call ledger: what the WeChat client counts calls in, plus what admins read of it. */
export interface QuotaService extends CallLedger {
  snapshot(): Promise<QuotaSnapshot>;
  /** Forgets today's counts and limit: after WeChat's clear_quota, or against a new simulator. */
  clearToday(): Promise<void>;
}

export interface QuotaServiceOptions {
  appid: string;
  redis: RedisClient;
  fallbackDailyLimit: number;
  now?: () => Date;
}

export function createQuotaService(options: QuotaServiceOptions): QuotaService {
  const { appid, redis, fallbackDailyLimit } = options;
  const now = options.now ?? (() => new Date());

  const keysFor = (day: string) => ({
    used: redisKeys.quotaUsed(appid, day),
    limit: redisKeys.quotaLimit(appid, day),
    spent: redisKeys.quotaSpent(appid, day),
  });
  const dayExpiryMs = () => msUntilChinaMidnight(now()) + KEY_GRACE_MS;

  return {
    async reserveCall() {
      const day = chinaDay(now());
      const keys = keysFor(day);
      const used = (await redis.eval(
        RESERVE_SCRIPT,
        3,
        keys.used,
        keys.limit,
        keys.spent,
        String(fallbackDailyLimit),
        String(dayExpiryMs()),
      )) as number;
      if (used < 0) {
        const limit = Number((await redis.get(keys.limit)) ?? fallbackDailyLimit);
        throw new QuotaExhaustedError(day, limit);
      }
    },

    async markDaySpent() {
      const keys = keysFor(chinaDay(now()));
      await redis.set(keys.spent, '1', 'PX', dayExpiryMs());
    },

    async recordWechatFigures({ dailyLimit, used }) {
      const keys = keysFor(chinaDay(now()));
      const expiry = dayExpiryMs();
      // WeChat's count may include calls made outside this service: never count fewer than it does.
      const script = `
redis.call('set', KEYS[2], ARGV[1], 'PX', ARGV[3])
local mine = tonumber(redis.call('get', KEYS[1]) or '0')
if tonumber(ARGV[2]) > mine then redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
return 1`;
      await redis.eval(
        script,
        2,
        keys.used,
        keys.limit,
        String(dailyLimit),
        String(used),
        String(expiry),
      );
    },

    async recordFallbackLimit() {
      const keys = keysFor(chinaDay(now()));
      await redis.set(
        keys.limit,
        String(fallbackDailyLimit),
        'PX',
        Math.min(FALLBACK_LIMIT_TTL_MS, dayExpiryMs()),
      );
    },

    async hasLimitForToday() {
      return (await redis.exists(keysFor(chinaDay(now())).limit)) === 1;
    },

    async clearToday() {
      const keys = keysFor(chinaDay(now()));
      await redis.del(keys.used, keys.limit, keys.spent);
    },

    async snapshot() {
      const day = chinaDay(now());
      const keys = keysFor(day);
      const [used, limit, spent] = await redis.mget(keys.used, keys.limit, keys.spent);
      const usedCount = Number(used ?? 0);
      const limitCount = Number(limit ?? fallbackDailyLimit);
      const exhausted = spent === '1' || usedCount >= limitCount;
      return {
        day,
        used: usedCount,
        limit: limitCount,
        remaining: exhausted ? 0 : limitCount - usedCount,
        exhausted,
      };
    },
  };
}
