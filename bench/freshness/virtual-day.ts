import mysql from 'mysql2/promise';
import { Redis } from 'ioredis';

import { loadConfig } from '../../src/config.js';
import { migrateDatabase } from '../../src/db/migrate.js';
import { createFreshnessDriver } from '../../src/freshness/freshness.driver.js';
import { createLogger } from '../../src/logger.js';
import { createServices, type Services } from '../../src/services.js';
import { runScheduledSync } from '../../src/sync/sync.jobs.js';
import {
  createDayPlayer,
  scriptDay,
  type ScriptDayOptions,
  type DayEvent,
  type ScriptedDay,
} from '../../src/wechat-sim/sim.day.js';
import { startWechatSimulator, type WechatSimulator } from '../../src/wechat-sim/sim.server.js';

/**
 * One China day of room life, played on a virtual clock that both the simulator and the service
 * run on: the scripted day (sim.day.ts) changes rooms at WeChat, a strategy decides when the
 * service reads, and after every read the harness looks at what MySQL (what the API serves) shows.
 * The clock only moves between reads, so a day takes a minute, not 24 hours.
 */

export const FRESHNESS_DB = 'mysql://root@127.0.0.1:3306/wxlive_bench_freshness';
export const FRESHNESS_REDIS = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/13';
const APPID = 'wxbenchfresh0001';
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** After midnight, the harness keeps going this long for the day's last ends and replays. */
const OVERTIME_MS = 4 * 60 * MINUTE;
/** The adaptive planner's tick: the real service plans every 5 seconds. */
const TICK_MS = 5_000;
/** The harness skips ticks with nothing due, but re-plans at least this often. */
const MAX_IDLE_MS = 5 * MINUTE;

export interface QuotaSetting {
  name: 'tight' | 'roomy';
  dailyQuota: number;
  /** Calls another system on the same appid already spent at midnight. */
  usedElsewhere: number;
}

export const QUOTA_SETTINGS: readonly QuotaSetting[] = [
  { name: 'tight', dailyQuota: 500, usedElsewhere: 100 },
  { name: 'roomy', dailyQuota: 10_000, usedElsewhere: 0 },
];

export type StrategyName = 'adaptive' | 'cron-10' | 'cron-1';

/** One observed change: when it happened at WeChat and when the service first showed it. */
export interface Observation {
  event: DayEvent;
  seenAt: number | null;
}

export interface DayOutcome {
  strategy: StrategyName;
  setting: QuotaSetting['name'];
  observations: Observation[];
  /** getliveinfo calls the service sent during the measured day (list and replay). */
  calls: number;
  /** Answers of 45009 from the simulator. */
  quotaRejections: number;
  /** When the service first found the day's quota spent (a skipped sync), if it did. */
  quotaOutAt: number | null;
  realSeconds: number;
}

interface VirtualClock {
  now(): number;
  set(at: number): void;
}

function virtualClock(start: number): VirtualClock {
  let at = start;
  return { now: () => at, set: (next) => (at = next) };
}

/** Where a played day keeps its data; the benchmark's own database and Redis db by default. */
export interface DayStorage {
  databaseUrl: string;
  redisUrl: string;
  appId: string;
}

const BENCH_STORAGE: DayStorage = {
  databaseUrl: FRESHNESS_DB,
  redisUrl: FRESHNESS_REDIS,
  appId: APPID,
};

/** The benchmark's database dropped and migrated again, its Redis db emptied. */
async function freshStorage(): Promise<void> {
  const url = new URL(FRESHNESS_DB);
  const connection = await mysql.createConnection({
    host: url.hostname,
    port: Number(url.port),
    user: 'root',
  });
  await connection.query(`DROP DATABASE IF EXISTS \`${url.pathname.slice(1)}\``);
  await connection.end();
  await migrateDatabase(FRESHNESS_DB);
  const redis = new Redis(FRESHNESS_REDIS);
  await redis.flushdb();
  redis.disconnect();
}

function servicesFor(
  sim: WechatSimulator,
  setting: QuotaSetting,
  clock: VirtualClock,
  options: { mode: string; storage: DayStorage },
): Services {
  const config = loadConfig({
    NODE_ENV: 'production',
    DATABASE_URL: options.storage.databaseUrl,
    REDIS_URL: options.storage.redisUrl,
    WECHAT_APPID: options.storage.appId,
    WECHAT_SECRET: sim.secret,
    WECHAT_API_BASE: sim.url,
    WECHAT_DAILY_QUOTA: String(setting.dailyQuota),
    ADMIN_TOKEN: 'bench-admin-token-0123456789',
    SCHEDULER_ENABLED: 'false',
    SYNC_MODE: options.mode,
  });
  return createServices(config, {
    logger: createLogger({ level: 'silent', pretty: false }),
    now: () => new Date(clock.now()),
  });
}

/**
 * The service as it stands at midnight after running for weeks: everything listed is mirrored,
 * replays stored, ended rooms without replays given up on (their first ask was over a week ago).
 */
async function warmUp(
  services: Services,
  sim: WechatSimulator,
  clock: VirtualClock,
  day: ScriptedDay,
) {
  sim.setQuota({ dailyLimit: 1_000_000, used: 0 });
  clock.set(day.startsAt - 8 * DAY);
  await services.sync.syncRooms('cli');
  clock.set(day.startsAt - MINUTE);
  sim.setQuota({ dailyLimit: 1_000_000, used: 0 });
  await services.sync.syncRooms('cli');
}

/** What the API shows of the rooms with changes not yet seen, after a read at `at`. */
async function observe(services: Services, pending: Observation[], at: number): Promise<void> {
  const open = pending.filter((observation) => observation.seenAt === null);
  if (open.length === 0) return;
  const ids = [...new Set(open.map((observation) => observation.event.roomid))];
  const rows = await Promise.all(ids.map((id) => services.rooms.getRoom(id)));
  const byId = new Map(ids.map((id, index) => [id, rows[index] ?? null]));
  for (const observation of open) {
    const room = byId.get(observation.event.roomid);
    if (!room) continue;
    const status = room.liveStatus;
    const { kind } = observation.event;
    const visible =
      kind === 'create' ||
      (kind === 'start' && status !== 'NOT_STARTED') ||
      (kind === 'end' && (status === 'ENDED' || status === 'EXPIRED')) ||
      (kind === 'ban' && status === 'BANNED') ||
      (kind === 'replays' && room.replays.length > 0);
    if (visible) observation.seenAt = at;
  }
}

/** A strategy reads when it likes; it answers when it wants to be asked again. */
interface Strategy {
  /** Runs what is due at the clock's time; answers the next time it has something to do. */
  step(now: number): Promise<number>;
}

function cronStrategy(
  services: Services,
  everyMinutes: number,
  onSpent: (at: number) => void,
): Strategy {
  const logger = createLogger({ level: 'silent', pretty: false });
  return {
    async step(now) {
      const outcome = await runScheduledSync({
        sync: services.sync,
        quota: services.quota,
        logger,
      });
      if (outcome === 'skipped') onSpent(now);
      const period = everyMinutes * MINUTE;
      return Math.floor(now / period) * period + period;
    },
  };
}

function adaptiveStrategy(
  services: Services,
  clock: VirtualClock,
  onSpent: (at: number) => void,
): Strategy {
  const driver = createFreshnessDriver({
    appId: services.appId,
    db: services.db.db,
    redis: services.redis,
    sync: services.sync,
    quota: services.quota,
    readQuotaFigures: () => services.wechat.refreshQuotaLimit(),
    store: services.freshnessStore,
    settings: {
      targetSeconds: 60,
      fullSyncMinMinutes: 5,
      fullSyncMaxMinutes: 60,
      quotaReserve: 50,
      replayRetryMinutes: 30,
      replayGiveUpDays: 7,
    },
    logger: createLogger({ level: 'silent', pretty: false }),
    now: () => new Date(clock.now()),
  });
  return {
    async step(now) {
      const outcome = await driver.tick();
      if (!outcome) return now + TICK_MS;
      if (outcome.plan.budget.left === 0) onSpent(now);
      const nextAt = Math.min(...outcome.plan.next.map((read) => read.at), now + MAX_IDLE_MS);
      // The real loop ticks every 5 s: a read due between two ticks waits for the next one.
      return Math.max(now + TICK_MS, Math.ceil(nextAt / TICK_MS) * TICK_MS);
    },
  };
}

export async function playDay(options: {
  strategy: StrategyName;
  setting: QuotaSetting;
  seed: number;
  day: number;
  /** A smaller day (fewer rooms, shows...) than the benchmark's. */
  script?: Omit<ScriptDayOptions, 'day' | 'seed'>;
  /** Somewhere else than the benchmark's own database and Redis db (which are wiped first). */
  storage?: DayStorage;
  /** Stop this long after the day's midnight (default: the day and OVERTIME_MS). */
  playMs?: number;
}): Promise<DayOutcome> {
  const started = performance.now();
  const scripted = scriptDay({ ...options.script, day: options.day, seed: options.seed });
  const storage = options.storage ?? BENCH_STORAGE;
  const clock = virtualClock(scripted.startsAt - 8 * DAY);
  if (!options.storage) await freshStorage();
  const sim = await startWechatSimulator({
    appid: storage.appId,
    rooms: scripted.rooms,
    pageCap: 50,
    tokenTtlSeconds: 30 * 24 * 3600,
    now: () => clock.now(),
  });
  const mode = options.strategy === 'adaptive' ? 'adaptive' : 'cron';
  const services = servicesFor(sim, options.setting, clock, { mode, storage });
  try {
    if (!(await services.ready())) throw new Error(`Redis is not answering at ${storage.redisUrl}`);
    await warmUp(services, sim, clock, scripted);
    clock.set(scripted.startsAt);
    sim.setQuota({ dailyLimit: options.setting.dailyQuota, used: options.setting.usedElsewhere });
    sim.resetStats();
    let quotaOutAt: number | null = null;
    const onSpent = (at: number) => {
      if (quotaOutAt === null && at < scripted.endsAt) quotaOutAt = at;
    };
    const strategy =
      options.strategy === 'adaptive'
        ? adaptiveStrategy(services, clock, onSpent)
        : cronStrategy(services, options.strategy === 'cron-10' ? 10 : 1, onSpent);
    const player = createDayPlayer(sim, scripted);
    const observations: Observation[] = [];
    const stopAt =
      scripted.startsAt + (options.playMs ?? scripted.endsAt - scripted.startsAt + OVERTIME_MS);
    let callsToday = 0;
    for (let now = scripted.startsAt; now < stopAt;) {
      clock.set(now);
      // A change at the very instant of a read is not seen by that read (reads and changes are
      // unordered within a millisecond at WeChat): the scripted minutes never line up in our favour.
      for (const event of player.advanceTo(now - 1)) observations.push({ event, seenAt: null });
      if (now >= scripted.endsAt && callsToday === 0) {
        const stats = sim.stats();
        callsToday = stats.list + stats.replay;
      }
      const next = await strategy.step(now);
      await observe(services, observations, now);
      now = next;
    }
    const stats = sim.stats();
    return {
      strategy: options.strategy,
      setting: options.setting.name,
      observations,
      calls: callsToday || stats.list + stats.replay,
      quotaRejections: stats.rejected,
      quotaOutAt,
      realSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    await services.close();
    await sim.close();
  }
}
