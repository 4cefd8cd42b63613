import type { RedisClient } from '../redis/client.js';
import { redisKeys } from '../redis/keys.js';
import { chinaDay, msUntilChinaMidnight } from '../wechat/wechat-time.js';
import type { FreshnessState, SeenTransition } from './freshness.types.js';

/** Transitions kept for admins: enough for a busy evening, small enough to read at every call. */
export const TRANSITIONS_KEPT = 50;
/** A plan older than this was made by a planner that stopped: it is shown, never acted on. */
const PLAN_TTL_MS = 24 * 60 * 60 * 1000;

/** The part of the state the planner writes at each tick; transitions and skips are kept apart. */
export type StoredPlan = Omit<FreshnessState, 'transitions' | 'skippedToday' | 'mode'>;

/**
 * Where the planner keeps what must outlive one process: its latest plan, the transitions it saw,
 * the day's skipped reads and the list-drift flag. Everything else it plans from (rooms, their
 * confirmations, list positions, the quota ledger) is already stored, so a new leaseholder (after
 * a restart or a failover) plans exactly as the old one would have.
 */
export interface FreshnessStore {
  savePlan(plan: StoredPlan): Promise<void>;
  loadPlan(): Promise<StoredPlan | null>;
  addTransitions(transitions: readonly SeenTransition[]): Promise<void>;
  transitions(): Promise<SeenTransition[]>;
  countSkipped(reads: number, at: Date): Promise<void>;
  skippedOn(at: Date): Promise<number>;
  /** A targeted read saw the total move: rooms were created or removed since the last full read. */
  markListDrift(): Promise<void>;
  /** A full sync has read the whole list again. */
  clearListDrift(): Promise<void>;
  listDrifted(): Promise<boolean>;
}

export function createFreshnessStore(redis: RedisClient, appId: string): FreshnessStore {
  const planKey = redisKeys.freshnessPlan(appId);
  const transitionsKey = redisKeys.freshnessTransitions(appId);
  const driftKey = redisKeys.freshnessListDrift(appId);
  return {
    async savePlan(plan) {
      await redis.set(planKey, JSON.stringify(plan), 'PX', PLAN_TTL_MS);
    },
    async loadPlan() {
      const text = await redis.get(planKey);
      return text === null ? null : (JSON.parse(text) as StoredPlan);
    },
    async addTransitions(transitions) {
      if (transitions.length === 0) return;
      await redis
        .multi()
        .lpush(transitionsKey, ...transitions.map((transition) => JSON.stringify(transition)))
        .ltrim(transitionsKey, 0, TRANSITIONS_KEPT - 1)
        .exec();
    },
    async transitions() {
      const entries = await redis.lrange(transitionsKey, 0, TRANSITIONS_KEPT - 1);
      return entries.map((entry) => JSON.parse(entry) as SeenTransition);
    },
    async countSkipped(reads, at) {
      if (reads <= 0) return;
      const key = redisKeys.freshnessSkipped(appId, chinaDay(at));
      await redis.multi().incrby(key, reads).pexpire(key, msUntilChinaMidnight(at)).exec();
    },
    async skippedOn(at) {
      return Number((await redis.get(redisKeys.freshnessSkipped(appId, chinaDay(at)))) ?? 0);
    },
    async markListDrift() {
      await redis.set(driftKey, '1');
    },
    async clearListDrift() {
      await redis.del(driftKey);
    },
    async listDrifted() {
      return (await redis.exists(driftKey)) === 1;
    },
  };
}
