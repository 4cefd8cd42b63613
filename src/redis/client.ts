import { Cluster, Redis } from 'ioredis';

/**
 * One Redis (reached directly or through Sentinel) or a Redis Cluster. Both take the commands the
 * service sends alike; the one thing that differs, a second connection for pub/sub, goes through
 * `openSubscriber`.
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

const CONNECT_TIMEOUT_MS = 3_000;
const COMMAND_TIMEOUT_MS = 3_000;
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

export interface Subscriber {
  connection: Redis;
  /** The cluster node it is connected to (`host:port`); null on a single Redis. */
  node: string | null;
}

/**
 * A connection of its own for SUBSCRIBE (a subscribed connection can do nothing else), or null
 * while a cluster client knows no node yet (try again on its next `ready`).
 *
 * On a single Redis it is a duplicate of the client and reconnects like it. On a cluster it is a
 * plain connection to one master: any node hears every PUBLISH, which the cluster bus fans out.
 * Every instance picks the same one, the first master by address not in `avoid` (nodes that just
 * failed; the first of all when every one did), so that a publisher hearing its own message knows
 * that the other instances have been sent it too, as on a single Redis. The connection ends
 * (`end`) instead of reconnecting, so that the caller can move on when that node is gone for good.
 * ioredis's own cluster subscriber moves on by itself, but silently: a listener could not tell
 * that it missed messages in between.
 */
export function openSubscriber(
  redis: RedisClient,
  connectionName: string,
  avoid: ReadonlySet<string> = new Set(),
): Subscriber | null {
  if (!(redis instanceof Cluster)) {
    return { connection: redis.duplicate({ connectionName }), node: null };
  }
  const masters = redis
    .nodes('master')
    .map((node) => ({ node, address: `${node.options.host}:${node.options.port}` }))
    // By code unit, not localeCompare: instances on machines with other locales must agree.
    .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  const chosen = masters.find(({ address }) => !avoid.has(address)) ?? masters[0];
  if (!chosen) return null;
  const { host, port, username, password, tls } = chosen.node.options;
  const connection = new Redis({
    host,
    port,
    username,
    password,
    tls,
    connectionName,
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    retryStrategy: () => null,
  });
  return { connection, node: chosen.address };
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
