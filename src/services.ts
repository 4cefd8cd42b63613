import type { Config } from './config.js';
import { createDb, type DbHandle } from './db/client.js';
import { createFreshnessService, type FreshnessService } from './freshness/freshness.service.js';
import { createFreshnessStore, type FreshnessStore } from './freshness/freshness.store.js';
import type { Logger } from './logger.js';
import type { Metrics } from './observability/metrics.js';
import { createChangeFeed, type ChangeFeed } from './redis/change-feed.js';
import { createRedis, whenRedisReady, type RedisClient } from './redis/client.js';
import { redisKeys } from './redis/keys.js';
import { createRoomService, type RoomService } from './rooms/room.service.js';
import { createSyncService, type SyncService } from './sync/sync.service.js';
import type { RetryPolicy } from './wechat/backoff.js';
import { createQuotaService, type QuotaService } from './quota/quota.service.js';
import { createTokenService, type TokenService } from './wechat/token.service.js';
import { createWechatClient, type WechatLiveClient } from './wechat/wechat.client.js';
import { createWechatHttp } from './wechat/wechat.http.js';

/**
 * Everything the server, the admin CLI and the resolvers (through the GraphQL context) share: the
 * domain services and the pools they run on. Built once per process by `createServices`.
 */
export interface Services {
  appId: string;
  rooms: RoomService;
  sync: SyncService;
  quota: QuotaService;
  tokens: TokenService;
  /** The WeChat live API, counted in the quota ledger. */
  wechat: WechatLiveClient;
  /** The adaptive planner's view for admins, and where its plan is kept. */
  freshness: FreshnessService;
  freshnessStore: FreshnessStore;
  /** `anchorImg` shown when WeChat gives none. */
  defaultAnchorImg: string | null;
  db: DbHandle;
  redis: RedisClient;
  changeFeed: ChangeFeed;
  /** Waits (bounded) until Redis is connected; false when it is not reachable yet. */
  ready(): Promise<boolean>;
  /** Closes the change feed and the pools. */
  close(): Promise<void>;
}

export interface ServicesOptions {
  logger: Logger;
  /** Where WeChat calls and sync runs are counted (the server's /metrics); optional for tools. */
  metrics?: Metrics;
  /** WeChat retry policy; tests shorten the backoff. */
  wechatRetry?: RetryPolicy;
  /** The clock the quota day and the syncs run on; a benchmark plays a whole day in seconds. */
  now?: () => Date;
}

/** Builds the shared services from config; nothing listens and nothing is scheduled. */
export function createServices(config: Config, options: ServicesOptions): Services {
  const { logger } = options;
  const db = createDb(config.databaseUrl);
  const redis = createRedis(config.redisUrl, {
    connectionName: 'wxlive',
    sentinel: config.redisSentinel,
    cluster: config.redisCluster,
  });
  const appId = config.wechat.appid;

  const http = createWechatHttp({
    apiBase: config.wechat.apiBase,
    timeoutMs: config.wechat.timeoutMs,
    observe: options.metrics ? (call) => options.metrics?.observeWechatCall(call) : undefined,
  });
  const tokens = createTokenService({
    appid: appId,
    secret: config.wechat.secret,
    http,
    redis,
    logger: logger.child({ component: 'token' }),
  });
  const quota = createQuotaService({
    appid: appId,
    redis,
    fallbackDailyLimit: config.wechat.dailyQuotaFallback,
    now: options.now,
  });
  const wechat = createWechatClient({
    http,
    tokens,
    quota,
    logger: logger.child({ component: 'wechat' }),
    retry: options.wechatRetry,
  });
  // Data changes are announced to every instance, whose response caches then start over.
  const changeFeed = createChangeFeed({ redis, channel: redisKeys.dataChanged(appId), logger });
  const announceChange = async () => {
    try {
      await changeFeed.publish();
    } catch (error) {
      // Without Redis no instance trusts its cache anyway; the change itself is committed.
      logger.warn({ err: (error as Error).message }, 'could not announce a data change');
    }
  };

  const sync = createSyncService({
    appId,
    db: db.db,
    redis,
    wechat,
    quota,
    logger: logger.child({ component: 'sync' }),
    settings: config.sync,
    onDataChanged: announceChange,
    onRunFinished: (run) => options.metrics?.observeSyncRun(run),
    now: options.now,
  });
  const freshnessStore = createFreshnessStore(redis, appId);
  const freshness = createFreshnessService({
    appId,
    mode: config.freshness.mode,
    store: freshnessStore,
    now: options.now,
  });
  const rooms = createRoomService({
    db: db.db,
    appId,
    defaultAnchorImg: config.defaultAnchorImg,
    onDataChanged: announceChange,
  });
  return {
    appId,
    rooms,
    sync,
    quota,
    tokens,
    wechat,
    freshness,
    freshnessStore,
    defaultAnchorImg: config.defaultAnchorImg,
    db,
    redis,
    changeFeed,
    ready: () => whenRedisReady(redis),
    async close() {
      await changeFeed.close();
      await db.close();
      redis.disconnect();
    },
  };
}
