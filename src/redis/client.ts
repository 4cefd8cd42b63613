import { Redis } from 'ioredis';

export type RedisClient = Redis;

export interface CreateRedisOptions {
  /** Name shown by CLIENT LIST: which part of which instance holds the connection. */
  connectionName?: string;
  /** Reach the master through Redis Sentinel; the URL then only gives the password and db. */
  sentinel?: {
    sentinels: ReadonlyArray<{ host: string; port: number }>;
    name: string;
  } | null;
}

/**
 * ioredis reconnects on its own. Commands are not queued while Redis is down (no offline queue,
 * one retry per request), so callers fail at once with UPSTREAM_UNAVAILABLE instead of hanging for
 * seconds, and recover by themselves when Redis is back. Use `whenRedisReady` before the first
 * command of a short-lived process.
 */
export function createRedis(redisUrl: string, options: CreateRedisOptions = {}): RedisClient {
  const url = new URL(redisUrl);
  const sentinel = options.sentinel
    ? {
        sentinels: options.sentinel.sentinels.map((entry) => ({ ...entry })),
        name: options.sentinel.name,
        password: url.password ? decodeURIComponent(url.password) : undefined,
        username: url.username ? decodeURIComponent(url.username) : undefined,
        db: Number(url.pathname.slice(1) || 0),
      }
    : undefined;
  const common = {
    connectionName: options.connectionName ?? 'wxlive',
    lazyConnect: false,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 3_000,
    commandTimeout: 3_000,
    retryStrategy: (attempt: number) => Math.min(attempt * 200, 2_000),
  };
  const redis = sentinel ? new Redis({ ...common, ...sentinel }) : new Redis(redisUrl, common);
  // Without a listener ioredis prints every reconnect failure as an unhandled error event.
  redis.on('error', () => undefined);
  return redis;
}

/**
 * Resolves once the client is connected, or after `timeoutMs` whatever happened: a service starts
 * (and serves reads from MySQL) even while Redis is down.
 */
export async function whenRedisReady(redis: RedisClient, timeoutMs = 3_000): Promise<boolean> {
  if (redis.status === 'ready') return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      resolve(false);
    }, timeoutMs);
    timer.unref();
    function onReady() {
      clearTimeout(timer);
      resolve(true);
    }
    redis.once('ready', onReady);
  });
}
