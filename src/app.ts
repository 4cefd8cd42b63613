import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { ScheduledTask } from 'node-cron';

import type { Config } from './config.js';
import type { GraphQLContext } from './context.js';
import type { DbHandle } from './db/client.js';
import { migrateDatabase } from './db/migrate.js';
import { createAdminAuth } from './http/admin-auth.js';
import { createFormatError } from './graphql/format-error.js';
import { createQueryLimits } from './graphql/query-limits.js';
import { observabilityPlugin, observeCachedAnswer } from './observability/observability.plugin.js';
import { createHttpServer } from './http/http-server.js';
import { checkReadiness } from './http/probes.js';
import { createResponseCache, type ResponseCache } from './http/response-cache.js';
import { createServices, type Services } from './services.js';
import { buildAppSchema } from './graphql/schema.js';
import type { Logger } from './logger.js';
import { createMetrics } from './observability/metrics.js';
import type { RedisClient } from './redis/client.js';
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
  const { tokens, db, redis, changeFeed } = services;
  if (!(await services.ready())) {
    logger.warn('Redis is not reachable yet; serving reads from MySQL until it is');
  }
  const { sync, quota } = services;
  const responseCache = createResponseCache({ feed: changeFeed });
  metrics.readGauges({
    quota: () => quota.snapshot(),
    tokenTtlSeconds: () => tokens.cachedTtlSeconds(),
    tokenAgeSeconds: () => tokens.cachedAgeSeconds(),
    cache: () => responseCache.stats(),
  });

  const limits = createQueryLimits<GraphQLContext>({
    blockFieldSuggestion: !config.http.introspection,
  });
  const apollo = new ApolloServer<GraphQLContext>({
    schema: await buildAppSchema(),
    formatError: createFormatError(),
    introspection: config.http.introspection,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    validationRules: limits.validationRules,
    plugins: [
      ...limits.plugins,
      observabilityPlugin(logger, metrics),
      config.http.sandbox
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false })
        : ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await apollo.start();

  const adminAuth = createAdminAuth({
    appId: services.appId,
    adminToken: config.adminToken,
    redis,
    trustProxy: config.http.trustProxy,
    maxFailures: config.http.adminLockoutFailures,
    windowSeconds: config.http.adminLockoutMinutes * 60,
  });

  const { server: httpServer, whenIdle: requestsSettled } = createHttpServer<GraphQLContext>({
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

  const jobs: ScheduledTask[] = [];
  return {
    services,
    responseCache,
    tokens,
    db,
    redis,
    httpServer,
    async listen(port = config.port, host = config.host) {
      await new Promise<void>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => resolve());
      });
      if (config.scheduler.enabled) {
        jobs.push(
          scheduleTokenRefreshJob({
            cron: config.scheduler.tokenRefreshCron,
            tokens,
            logger: logger.child({ job: 'refresh-token' }),
          }),
          scheduleSyncJob({
            cron: config.scheduler.syncCron,
            sync,
            quota,
            redis,
            appId: services.appId,
            logger: logger.child({ job: 'sync-rooms' }),
          }),
        );
      }
      const { port: actualPort } = httpServer.address() as AddressInfo;
      const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
      return `http://${shownHost}:${actualPort}/graphql`;
    },
    async close({ graceMs = 30_000 } = {}) {
      await Promise.all(jobs.map((job) => job.stop()));
      const stopped = httpServer.listening
        ? new Promise<void>((resolve) => httpServer.close(() => resolve()))
        : Promise.resolve();
      httpServer.closeIdleConnections();
      const drained = Promise.all([stopped, requestsSettled(), sync.whenIdle()]).then(() => true);
      const inTime = await Promise.race([
        drained,
        new Promise<false>((resolve) => setTimeout(() => resolve(false), graceMs).unref()),
      ]);
      if (!inTime) {
        logger.warn(
          { graceMs },
          'requests or a sync still running after the grace period; closing anyway',
        );
        httpServer.closeAllConnections();
      }
      await apollo.stop();
      await services.close();
    },
  };
}
