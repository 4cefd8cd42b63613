import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Config } from './config.js';
import type { GraphQLContext } from './context.js';
import type { DbHandle } from './db/client.js';
import { migrateDatabase } from './db/migrate.js';
import { startApolloServer } from './graphql/apollo-server.js';
import { createAdminAuth } from './http/admin-auth.js';
import { createHttpServer, type HttpServer } from './http/http-server.js';
import { checkReadiness } from './http/probes.js';
import { createResponseCache, type ResponseCache } from './http/response-cache.js';
import type { Logger } from './logger.js';
import { createFreshnessDriver } from './freshness/freshness.driver.js';
import { scheduleFreshnessJob } from './freshness/freshness.jobs.js';
import { SyncMode } from './freshness/freshness.types.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { observeCachedAnswer } from './observability/observability.plugin.js';
import type { RedisClient } from './redis/client.js';
import { createServices, type Services } from './services.js';
import { scheduleSyncJob } from './sync/sync.jobs.js';
import type { RetryPolicy } from './wechat/backoff.js';
import { scheduleTokenRefreshJob } from './wechat/token.jobs.js';
import type { TokenService } from './wechat/token.service.js';

export interface App {
  services: Services;
  responseCache: ResponseCache;
  tokens: TokenService;
  db: DbHandle;
  redis: RedisClient;
  httpServer: Server;
  /** Starts listening (and the cron jobs, when enabled); resolves with the GraphQL URL. */
  listen(port?: number, host?: string): Promise<string>;
  /**
   * Stops the jobs and stops accepting connections, lets in-flight requests and a running sync
   * finish (within `graceMs`), then closes Apollo and the pools: the reverse of start-up.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

export interface CreateAppOptions {
  logger: Logger;
  /** Apply migrations before serving (default true). */
  migrate?: boolean;
  /** WeChat retry policy; tests shorten the backoff. */
  wechatRetry?: RetryPolicy;
}

/** The composition root: builds everything from config without listening. */
export async function createApp(config: Config, options: CreateAppOptions): Promise<App> {
  const { logger } = options;
  if (options.migrate ?? true) await migrateDatabase(config.databaseUrl);
  const metrics = createMetrics();
  const services = createServices(config, { logger, metrics, wechatRetry: options.wechatRetry });
  const { tokens, db, redis, quota, sync } = services;
  if (!(await services.ready())) {
    logger.warn('Redis is not reachable yet; serving reads from MySQL until it is');
  }
  const responseCache = createResponseCache({ feed: services.changeFeed });
  metrics.readGauges({
    quota: () => quota.snapshot(),
    tokenTtlSeconds: () => tokens.cachedTtlSeconds(),
    tokenAgeSeconds: () => tokens.cachedAgeSeconds(),
    cache: () => responseCache.stats(),
  });
  const apollo = await startApolloServer({
    introspection: config.http.introspection,
    sandbox: config.http.sandbox,
    logger,
    metrics,
  });
  const adminAuth = createAdminAuth({
    appId: services.appId,
    adminToken: config.adminToken,
    redis,
    trustProxy: config.http.trustProxy,
    maxFailures: config.http.adminLockoutFailures,
    windowSeconds: config.http.adminLockoutMinutes * 60,
  });
  const http = createHttpServer<GraphQLContext>({
    apollo,
    logger,
    responseCache,
    onCacheHit: observeCachedAnswer(logger, metrics),
    corsOrigins: config.http.corsOrigins,
    metrics: () => metrics.exposition(),
    buildContext: async (request, requestId) => ({
      requestId,
      auth: await adminAuth.check(request),
      services,
    }),
    checkReadiness: () => checkReadiness({ db, redis }),
  });

  let jobs: Job[] = [];
  return {
    services,
    responseCache,
    tokens,
    db,
    redis,
    httpServer: http.server,
    async listen(port = config.port, host = config.host) {
      const url = await listenOn(http.server, port, host);
      if (config.scheduler.enabled) jobs = scheduleJobs(config, services, { logger, metrics });
      return url;
    },
    async close({ graceMs = 30_000 } = {}) {
      await Promise.all(jobs.map((job) => job.stop()));
      await drain({ http, sync, graceMs, logger });
      await apollo.stop();
      await services.close();
    },
  };
}

/** Listens; resolves with the GraphQL URL to show (localhost for a wildcard host). */
async function listenOn(server: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: actualPort } = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return `http://${shownHost}:${actualPort}/graphql`;
}

/** A scheduled job: a node-cron task, or the planner's lease loop. */
interface Job {
  stop(): unknown;
}

function scheduleJobs(
  config: Config,
  services: Services,
  observers: { logger: Logger; metrics: Metrics },
): Job[] {
  const { logger } = observers;
  const { tokens, sync, quota, redis, appId } = services;
  const tokenJob = scheduleTokenRefreshJob({
    cron: config.scheduler.tokenRefreshCron,
    tokens,
    logger: logger.child({ job: 'refresh-token' }),
  });
  if (config.freshness.mode === SyncMode.CRON) {
    return [
      tokenJob,
      scheduleSyncJob({
        cron: config.scheduler.syncCron,
        sync,
        quota,
        redis,
        appId,
        logger: logger.child({ job: 'sync-rooms' }),
      }),
    ];
  }
  const plannerLogger = logger.child({ job: 'freshness' });
  const driver = createFreshnessDriver({
    appId,
    db: services.db.db,
    redis,
    sync,
    quota,
    readQuotaFigures: () => services.wechat.refreshQuotaLimit(),
    store: services.freshnessStore,
    settings: {
      ...config.freshness,
      replayRetryMinutes: config.sync.replayRetryMinutes,
      replayGiveUpDays: config.sync.replayGiveUpDays,
    },
    logger: plannerLogger,
    metrics: observers.metrics.freshness,
  });
  return [tokenJob, scheduleFreshnessJob({ appId, driver, redis, logger: plannerLogger })];
}

/**
 * Stops accepting connections and waits for the requests in flight and a running sync, at most
 * `graceMs`; then cuts the connections still open.
 */
async function drain(options: {
  http: HttpServer;
  sync: Services['sync'];
  graceMs: number;
  logger: Logger;
}): Promise<void> {
  const { http, sync, graceMs, logger } = options;
  const { server } = http;
  const stopped = server.listening
    ? new Promise<void>((resolve) => server.close(() => resolve()))
    : Promise.resolve();
  server.closeIdleConnections();
  const drained = Promise.all([stopped, http.whenIdle(), sync.whenIdle()]).then(() => true);
  const inTime = await Promise.race([
    drained,
    new Promise<false>((resolve) => setTimeout(() => resolve(false), graceMs).unref()),
  ]);
  if (inTime) return;
  logger.warn(
    { graceMs },
    'requests or a sync still running after the grace period; closing anyway',
  );
  server.closeAllConnections();
}
