import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { sql } from 'drizzle-orm';
import type { ScheduledTask } from 'node-cron';

import type { Config } from './config.js';
import type { AppServices, GraphQLContext } from './context.js';
import { createDb, type DbHandle } from './db/client.js';
import { migrateDatabase } from './db/migrate.js';
import { createFormatError } from './graphql/format-error.js';
import { createHttpServer } from './graphql/http-server.js';
import { createResponseCache } from './graphql/response-cache.js';
import { buildAppSchema } from './graphql/schema.js';
import type { Logger } from './logger.js';
import { createChangeFeed } from './redis/change-feed.js';
import { createRedis, type RedisClient } from './redis/client.js';
import { redisKeys } from './redis/keys.js';
import { createRoomService } from './rooms/room.service.js';
import { scheduleSyncJob } from './sync/sync.jobs.js';
import { createSyncService } from './sync/sync.service.js';
import type { RetryPolicy } from './wechat/backoff.js';
import { createQuotaService } from './wechat/quota.service.js';
import { scheduleTokenRefreshJob } from './wechat/token.jobs.js';
import { createTokenService, type TokenService } from './wechat/token.service.js';
import { createWechatClient } from './wechat/wechat.client.js';
import { createWechatHttp } from './wechat/wechat.http.js';

export interface App {
  services: AppServices;
  tokens: TokenService;
  db: DbHandle;
  redis: RedisClient;
  httpServer: Server;
  /** Starts listening (and the cron jobs, when enabled); resolves with the GraphQL URL. */
  listen(port?: number, host?: string): Promise<string>;
  /** Stops jobs, the HTTP server, Apollo, then the pools: the reverse of start-up. */
  close(): Promise<void>;
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

  const db = createDb(config.databaseUrl);
  const redis = createRedis(config.redisUrl, { connectionName: 'wxlive' });
  const appId = config.wechat.appid;

  const http = createWechatHttp({
    apiBase: config.wechat.apiBase,
    timeoutMs: config.wechat.timeoutMs,
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
  const responseCache = createResponseCache({ feed: changeFeed });
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
  });
  const rooms = createRoomService({
    db: db.db,
    appId,
    defaultAnchorImg: config.defaultAnchorImg,
    onDataChanged: announceChange,
  });
  const services: AppServices = {
    responseCache,
    appId,
    db: db.db,
    rooms,
    sync,
    quota,
    defaultAnchorImg: config.defaultAnchorImg,
  };

  const production = config.env === 'production';
  const apollo = new ApolloServer<GraphQLContext>({
    schema: await buildAppSchema(),
    formatError: createFormatError(logger),
    introspection: !production,
    includeStacktraceInErrorResponses: false,
    plugins: [
      production
        ? ApolloServerPluginLandingPageDisabled()
        : ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }),
    ],
  });
  await apollo.start();

  const adminTokenDigest = digest(config.adminToken);
  const isAdminRequest = (request: IncomingMessage): boolean => {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
    // Compare digests in constant time: no timing hint about the token's characters or length.
    return match !== null && timingSafeEqual(digest(match[1]!), adminTokenDigest);
  };

  const httpServer = createHttpServer<GraphQLContext>({
    apollo,
    logger,
    responseCache,
    buildContext: async (request, requestId) => ({
      requestId,
      isAdmin: isAdminRequest(request),
      services,
    }),
    checkReadiness: async () => {
      await db.db.execute(sql`select 1`);
      const pong = await redis.ping();
      if (pong !== 'PONG') throw new Error('Redis did not answer PONG');
    },
  });

  const jobs: ScheduledTask[] = [];
  return {
    services,
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
            logger: logger.child({ job: 'sync-rooms' }),
          }),
        );
      }
      const { port: actualPort } = httpServer.address() as AddressInfo;
      const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
      return `http://${shownHost}:${actualPort}/graphql`;
    },
    async close() {
      await Promise.all(jobs.map((job) => job.stop()));
      if (httpServer.listening) {
        await new Promise<void>((resolve) => {
          httpServer.close(() => resolve());
          httpServer.closeIdleConnections();
        });
      }
      await apollo.stop();
      await changeFeed.close();
      await db.close();
      redis.disconnect();
    },
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
