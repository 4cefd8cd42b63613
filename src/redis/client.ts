import { Redis } from 'ioredis';

export type RedisClient = Redis;

export interface CreateRedisOptions {
  /** Name shown by CLIENT LIST: which part of which instance holds the connection. */
  connectionName?: string;
}

/**
 * ioredis reconnects on its own. Commands are not queued while Redis is down (offline queue off
 * once connected, one retry per request) so callers fail fast with UPSTREAM_UNAVAILABLE instead of
 * hanging, and recover by themselves when Redis is back.
 */
export function createRedis(redisUrl: string, options: CreateRedisOptions = {}): RedisClient {
  const redis = new Redis(redisUrl, {
    connectionName: options.connectionName ?? 'wxlive',
    lazyConnect: false,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    connectTimeout: 3_000,
    commandTimeout: 3_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  // Without a listener ioredis prints every reconnect failure as an unhandled error event.
  redis.on('error', () => undefined);
  return redis;
}
