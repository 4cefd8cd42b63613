import type { DbHandle } from '../db/client.js';
import { countPendingMigrations } from '../db/migrate.js';
import { classifyError } from '../errors.js';
import type { RedisClient } from '../redis/client.js';
import { jsonAnswer, type PlainAnswer } from './http-messages.js';

export interface Probes {
  /** Resolves when MySQL and Redis answer and migrations are applied; throws with a reason otherwise. */
  checkReadiness: () => Promise<void>;
  /** Prometheus exposition for GET /metrics (none: /metrics is not served). */
  metrics?: () => Promise<{ contentType: string; body: string }>;
}

/**
 * The answer to a GET of a probe for load balancers and Prometheus (`/healthz`, `/readyz`,
 * `/metrics`); undefined for any other path.
 */
export async function answerProbe(
  pathname: string,
  probes: Probes,
): Promise<PlainAnswer | undefined> {
  if (pathname === '/healthz') return jsonAnswer(200, { status: 'ok' });
  if (pathname === '/readyz') return readiness(probes.checkReadiness);
  if (pathname === '/metrics' && probes.metrics) {
    const { contentType, body } = await probes.metrics();
    return { status: 200, contentType, body };
  }
  return undefined;
}

async function readiness(check: () => Promise<void>): Promise<PlainAnswer> {
  try {
    await check();
    return jsonAnswer(200, { status: 'ready' });
  } catch (error) {
    return jsonAnswer(503, { status: 'not ready', reason: (error as Error).message });
  }
}

/** Ready: MySQL answers with every migration applied, and Redis answers PING. */
export async function checkReadiness({ db, redis }: { db: DbHandle; redis: RedisClient }) {
  const pending = await countPendingMigrations(db.db).catch((error: unknown) => {
    throw new Error(`MySQL: ${classifyError(error).message}`);
  });
  if (pending > 0) throw new Error(`${pending} migration(s) not applied`);
  const pong = await redis.ping().catch((error: unknown) => {
    throw new Error(`Redis: ${classifyError(error).message}`);
  });
  if (pong !== 'PONG') throw new Error('Redis did not answer PONG');
}
