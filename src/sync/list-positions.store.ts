import type { RedisClient } from '../redis/client.js';
import { redisKeys } from '../redis/keys.js';

/**
 * Where each room sat in WeChat's list at the last full read, so a targeted refresh can read just
 * the rows around the rooms it wants. Kept in Redis: it is rewritten by every full sync, read by
 * the planner every few seconds, and worthless once a full sync is due anyway.
 */
export interface ListPositions {
  /** WeChat's total at the full read. */
  total: number;
  /** Rows WeChat returns per page (50 when asked for 100). */
  pageRows: number;
  /** When the full read that placed the rooms finished. */
  readAt: Date;
  /** Row offsets of the rooms asked for (rooms the read did not list are absent). */
  positions: Map<number, number>;
}

interface StoredMeta {
  total: number;
  pageRows: number;
  readAt: number;
}

/** Batches of fields per HSET: one command of 50,000 pairs would hold Redis up for a while. */
const FIELDS_PER_COMMAND = 5_000;

/** Replaces the positions with those of a complete full read, all at once (one MULTI). */
export async function saveListPositions(
  redis: RedisClient,
  appId: string,
  list: { total: number; pageRows: number; positions: ReadonlyMap<number, number> },
  readAt: Date,
): Promise<void> {
  const key = redisKeys.listPositions(appId);
  const meta: StoredMeta = { total: list.total, pageRows: list.pageRows, readAt: readAt.getTime() };
  const entries = [...list.positions].map(([roomId, offset]) => [String(roomId), String(offset)]);
  const transaction = redis.multi().del(key);
  for (let index = 0; index < entries.length; index += FIELDS_PER_COMMAND) {
    transaction.hset(key, Object.fromEntries(entries.slice(index, index + FIELDS_PER_COMMAND)));
  }
  await transaction.set(redisKeys.listPositionsMeta(appId), JSON.stringify(meta)).exec();
}

/** Records where a targeted read found rooms; the full read's total and time stay as they were. */
export async function updateListPositions(
  redis: RedisClient,
  appId: string,
  positions: ReadonlyMap<number, number>,
): Promise<void> {
  if (positions.size === 0) return;
  await redis.hset(
    redisKeys.listPositions(appId),
    Object.fromEntries([...positions].map(([roomId, offset]) => [String(roomId), String(offset)])),
  );
}

/** The last full read's figures and the positions of the given rooms; null before any full read. */
export async function readListPositions(
  redis: RedisClient,
  appId: string,
  roomIds: readonly number[],
): Promise<ListPositions | null> {
  const [metaText, offsets] = await Promise.all([
    redis.get(redisKeys.listPositionsMeta(appId)),
    roomIds.length > 0
      ? redis.hmget(redisKeys.listPositions(appId), ...roomIds.map(String))
      : Promise.resolve([]),
  ]);
  if (metaText === null) return null;
  const meta = JSON.parse(metaText) as StoredMeta;
  const positions = new Map<number, number>();
  roomIds.forEach((roomId, index) => {
    const offset = offsets[index];
    if (offset !== null && offset !== undefined) positions.set(roomId, Number(offset));
  });
  return { total: meta.total, pageRows: meta.pageRows, readAt: new Date(meta.readAt), positions };
}
