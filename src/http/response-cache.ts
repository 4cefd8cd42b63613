import { LRUCache } from 'lru-cache';

import type { ChangeFeed } from '../redis/change-feed.js';

export interface CachedAnswer {
  body: string;
  contentType: string;
  /** The operation the answer is for, so a hit is logged and counted like a computed answer. */
  operationName: string;
}

/**
 * Finished answers of public GraphQL requests, kept in this process and keyed by the exact request
 * (Accept header and body). Any data change anywhere (heard through the change feed) empties it; while
 * the feed is down nothing is served from it, since a change could go unheard.
 *
 * It sits in front of Apollo rather than inside it. Apollo's response cache plugin (with a Redis
 * store) was the library choice considered: it still parses and validates every request and costs a
 * Redis round trip per hit, and it invalidates by TTL only, while `rooms` must show a sync or a pin
 * on every instance at once. Here a hit is one map lookup (lru-cache), and invalidation is the
 * change feed.
 */
export interface ResponseCache {
  get(key: string): CachedAnswer | undefined;
  /** The generation to pass to `set` for a request that starts now. */
  generation(): number;
  /** Stores an answer computed during `generation`, unless data changed meanwhile. */
  set(key: string, answer: CachedAnswer, generation: number): void;
  stats(): { hits: number; misses: number; entries: number };
}

export function createResponseCache(options: {
  feed: ChangeFeed;
  maxEntries?: number;
  maxBytes?: number;
  ttlMs?: number;
}): ResponseCache {
  const { feed } = options;
  const entries = new LRUCache<string, CachedAnswer>({
    max: options.maxEntries ?? 2_000,
    maxSize: options.maxBytes ?? 64 * 1024 * 1024,
    sizeCalculation: (answer, key) => answer.body.length + key.length,
    // A backstop only: changes are announced at once; this bounds staleness if one announcement is
    // lost (an instance cut off from Redis while the others still serve from their caches).
    ttl: options.ttlMs ?? 5_000,
  });
  let generation = 0;
  let hits = 0;
  let misses = 0;
  feed.onChange(() => {
    generation += 1;
    entries.clear();
  });

  return {
    get(key) {
      if (!feed.isLive()) return undefined;
      const answer = entries.get(key);
      if (answer) hits += 1;
      else misses += 1;
      return answer;
    },
    generation: () => generation,
    set(key, answer, startedIn) {
      // An answer computed across a change may hold the old data: never keep it.
      if (startedIn !== generation || !feed.isLive()) return;
      entries.set(key, answer);
    },
    stats: () => ({ hits, misses, entries: entries.size }),
  };
}
