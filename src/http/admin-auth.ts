import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

import type { RedisClient } from '../redis/client.js';
import { redisKeys } from '../redis/keys.js';

/**
 * `unavailable`: the request carried a token but Redis, which holds the lock-out counts shared by
 * every instance, did not answer. Admin operations are refused then (they need Redis anyway to lock
 * a sync or tell the other instances of a change), and no token is compared, so none can be guessed.
 */
export type AdminCheck = 'admin' | 'anonymous' | 'locked-out' | 'unavailable';

export interface AdminAuthOptions {
  appId: string;
  adminToken: string;
  redis: RedisClient;
  /** Failed attempts from one client before it is refused for the rest of the window. */
  maxFailures?: number;
  windowSeconds?: number;
  /** Behind a load balancer: take the client address from the first X-Forwarded-For entry. */
  trustProxy?: boolean;
}

export interface AdminAuth {
  /** Public requests (no Authorization header) cost nothing here. */
  check(request: IncomingMessage): Promise<AdminCheck>;
  readonly windowSeconds: number;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Checks `Authorization: Bearer <ADMIN_TOKEN>`. The token is compared as SHA-256 digests in constant
 * time (no hint about its characters or length). Failures are counted per client in Redis, shared
 * by every instance; a client with too many is refused, right token or not, until the window ends.
 */
export function createAdminAuth(options: AdminAuthOptions): AdminAuth {
  const { appId, redis } = options;
  const maxFailures = options.maxFailures ?? 10;
  const windowSeconds = options.windowSeconds ?? 15 * 60;
  const expected = digest(options.adminToken);

  const clientOf = (request: IncomingMessage): string => {
    const forwarded = request.headers['x-forwarded-for'];
    if (options.trustProxy && typeof forwarded === 'string' && forwarded.length > 0) {
      return forwarded.split(',')[0]!.trim();
    }
    return request.socket.remoteAddress ?? 'unknown';
  };

  /** The client's failures in the current window; null when Redis does not answer. */
  async function failures(client: string): Promise<number | null> {
    try {
      return Number((await redis.get(redisKeys.adminFailures(appId, client))) ?? 0);
    } catch {
      return null;
    }
  }

  async function recordFailure(client: string): Promise<void> {
    const key = redisKeys.adminFailures(appId, client);
    // Redis answered a moment ago; if it fails now the attempt goes uncounted but was refused anyway.
    await redis
      .multi()
      .incr(key)
      .expire(key, windowSeconds, 'NX')
      .exec()
      .catch(() => undefined);
  }

  return {
    windowSeconds,
    async check(request) {
      const header = request.headers.authorization;
      if (typeof header !== 'string') return 'anonymous';
      const client = clientOf(request);
      const failed = await failures(client);
      if (failed === null) return 'unavailable';
      if (failed >= maxFailures) return 'locked-out';
      const match = /^Bearer\s+(.+)$/i.exec(header.trim());
      if (match && timingSafeEqual(digest(match[1]!), expected)) return 'admin';
      await recordFailure(client);
      return 'anonymous';
    },
  };
}
