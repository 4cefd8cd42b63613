import { randomUUID } from 'node:crypto';

import type { Logger } from 'pino';

import type { RedisClient } from './client.js';

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
  // A subscribed connection can do nothing else, so the feed has its own.
  const subscriber = redis.duplicate({ connectionName: 'wxlive-change-feed' });
  subscriber.on('error', () => undefined);
  const listeners: Array<() => void> = [];
  const awaitingEcho = new Map<string, () => void>();
  let live = false;
  // Set by close(): the disconnect that follows is expected, not worth a warning.
  let closed = false;

  const notify = () => {
    for (const listener of listeners) listener();
  };

  subscriber.on('message', (_channel: string, nonce: string) => {
    awaitingEcho.get(nonce)?.();
    notify();
  });
  subscriber.on('ready', () => {
    subscriber.subscribe(channel).then(
      () => {
        if (closed) return;
        live = true;
        // Changes made while we were away were not heard: start from nothing.
        notify();
      },
      (error: Error) => {
        if (!closed) logger.warn({ err: error.message }, 'could not subscribe to the change feed');
      },
    );
  });
  subscriber.on('close', () => {
    if (live && !closed) logger.warn('change feed disconnected; caches are off until it is back');
    live = false;
    notify();
  });

  // An announcement that could not be sent (Redis unreachable from here, maybe not from the other
  // instances) is sent again as soon as this instance reaches Redis.
  let announcementPending = false;
  redis.on('ready', () => {
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
      subscriber.disconnect();
    },
  };
}
