import { randomUUID } from 'node:crypto';

import { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';

import { COMMAND_TIMEOUT_MS, CONNECT_TIMEOUT_MS, type RedisClient } from './client.js';

/** How long `publish` waits to see its own message come back: by then Redis has fanned it out. */
const ECHO_WAIT_MS = 250;

/**
 * Tells every instance that served data changed (a sync applied, a pin, a replay fetch), over
 * Redis pub/sub, so caches everywhere drop stale answers at once rather than after a TTL.
 */
export interface ChangeFeed {
  /** Announces a change to every instance, this one included; resolves once Redis fanned it out. */
  publish(): Promise<void>;
  /** Runs on every change, and whenever the feed (re)connects or drops (messages may be lost). */
  onChange(listener: () => void): void;
  /** True while subscribed: only then can a cache trust that it hears about every change. */
  isLive(): boolean;
  close(): Promise<void>;
}

export function createChangeFeed(options: {
  redis: RedisClient;
  channel: string;
  logger: Logger;
}): ChangeFeed {
  const { redis, channel, logger } = options;
  const listeners: Array<() => void> = [];
  const awaitingEcho = new Map<string, () => void>();
  let live = false;
  // Set by close(): the disconnect that follows is expected, not worth a warning.
  let closed = false;

  const notify = () => {
    for (const listener of listeners) listener();
  };

  // A subscribed connection can do nothing else, so the feed has its own. On a cluster it ends when
  // its node is lost; the feed then opens one again, on the same node first, then on the others.
  let subscriber: Redis | null = null;
  const failedNodes = new Set<string>();
  let failuresInARow = 0;
  let reopenTimer: NodeJS.Timeout | undefined;

  const openFeed = () => {
    if (closed || subscriber) return;
    const opened = openSubscriber(redis, 'wxlive-change-feed', failedNodes);
    // No cluster node known yet: the client's next `ready` tries again.
    if (!opened) return;
    const { connection, node } = opened;
    subscriber = connection;
    let subscribed = false;
    connection.on('error', () => undefined);
    connection.on('message', (_channel: string, nonce: string) => {
      awaitingEcho.get(nonce)?.();
      notify();
    });
    connection.on('ready', () => {
      connection.subscribe(channel).then(
        () => {
          if (closed) return;
          live = true;
          subscribed = true;
          // Changes made while we were away were not heard: start from nothing.
          notify();
        },
        (error: Error) => {
          if (!closed)
            logger.warn({ err: error.message }, 'could not subscribe to the change feed');
        },
      );
    });
    connection.on('close', () => {
      if (live && !closed) logger.warn('change feed disconnected; caches are off until it is back');
      live = false;
      notify();
    });
    connection.once('end', () => {
      if (subscriber === connection) subscriber = null;
      if (closed) return;
      if (subscribed) {
        failedNodes.clear();
        failuresInARow = 0;
      } else {
        // Back to a node that already failed: every known one has since. Go round them again.
        if (node !== null && failedNodes.has(node)) failedNodes.clear();
        if (node !== null) failedNodes.add(node);
        failuresInARow += 1;
      }
      reopenTimer = setTimeout(openFeed, Math.min(failuresInARow * 200, 2_000));
      reopenTimer.unref();
    });
  };
  openFeed();

  // An announcement that could not be sent (Redis unreachable from here, maybe not from the other
  // instances) is sent again as soon as this instance reaches Redis.
  let announcementPending = false;
  redis.on('ready', () => {
    if (!subscriber) {
      // The client found Redis again: the feed need not wait out its back-off, and starts over.
      clearTimeout(reopenTimer);
      failedNodes.clear();
      failuresInARow = 0;
      openFeed();
    }
    if (!announcementPending || closed) return;
    announcementPending = false;
    redis.publish(channel, randomUUID()).catch(() => {
      announcementPending = true;
    });
  });

  return {
    async publish() {
      notify();
      const nonce = randomUUID();
      const echoed = new Promise<void>((resolve) => {
        awaitingEcho.set(nonce, resolve);
        setTimeout(resolve, ECHO_WAIT_MS).unref();
      });
      try {
        await redis.publish(channel, nonce).catch((error: unknown) => {
          announcementPending = true;
          throw error;
        });
        await echoed;
      } finally {
        awaitingEcho.delete(nonce);
      }
    },
    onChange(listener) {
      listeners.push(listener);
    },
    isLive: () => live,
    async close() {
      closed = true;
      live = false;
      clearTimeout(reopenTimer);
      subscriber?.disconnect();
    },
  };
}

interface Subscriber {
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
function openSubscriber(
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
