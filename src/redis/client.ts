import { Cluster, Redis } from 'ioredis';

/**
 * One Redis (reached directly or through Sentinel) or a Redis Cluster. Both take the commands the
 * service sends alike; the one thing that differs, a second connection for pub/sub, is opened by
 * the change feed (`change-feed.ts`).
 */
export type RedisClient = Redis | Cluster;

export interface RedisAddress {
  host: string;
  port: number;
}

export interface CreateRedisOptions {
  /** Name shown by CLIENT LIST: which part of which instance holds the connection. */
  connectionName?: string;
  /** Reach the master through Redis Sentinel; the URL then only gives the password and db. */
  sentinel?: {
    sentinels: ReadonlyArray<RedisAddress>;
    name: string;
  } | null;
  /**
   * Talk to a Redis Cluster, starting from these nodes (the others are discovered); the URL then
   * only gives the username, the password and TLS (`rediss:`).
   */
  cluster?: { nodes: ReadonlyArray<RedisAddress> } | null;
}

export const CONNECT_TIMEOUT_MS = 3_000;
export const COMMAND_TIMEOUT_MS = 3_000;
const reconnectDelay = (attempt: number) => Math.min(attempt * 200, 2_000);

/**
 * ioredis reconnects on its own. Commands are not queued while Redis is down (no offline queue,
 * one retry per request), so callers fail at once with UPSTREAM_UNAVAILABLE instead of hanging for
 * seconds, and recover by themselves when Redis is back. Use `whenRedisReady` before the first
 * command of a short-lived process. A cluster client behaves the same: it refuses commands while
 * it is not connected, and a command for a slot whose node is gone fails after its few redirections
 * (about a second) rather than waiting for the cluster to heal.
 */
export function createRedis(redisUrl: string, options: CreateRedisOptions = {}): RedisClient {
  const url = new URL(redisUrl);
  const credentials = {
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
  };
  const perConnection = {
    connectionName: options.connectionName ?? 'wxlive',
    maxRetriesPerRequest: 1,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
  };

  let redis: RedisClient;
  if (options.cluster) {
    redis = new Cluster(
      options.cluster.nodes.map(({ host, port }) => ({ host, port })),
      {
        lazyConnect: false,
        enableOfflineQueue: false,
        clusterRetryStrategy: reconnectDelay,
        redisOptions: {
          ...perConnection,
          ...credentials,
          ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
        },
      },
    );
  } else {
    const common = {
      ...perConnection,
      lazyConnect: false,
      enableOfflineQueue: false,
      retryStrategy: reconnectDelay,
    };
    redis = options.sentinel
      ? new Redis({
          ...common,
          ...credentials,
          sentinels: options.sentinel.sentinels.map((entry) => ({ ...entry })),
          name: options.sentinel.name,
          db: Number(url.pathname.slice(1) || 0),
        })
      : new Redis(redisUrl, common);
  }
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
