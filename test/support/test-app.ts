import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';

import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import {
  startWechatSimulator,
  type SimulatorOptions,
  type WechatSimulator,
} from '../../src/wechat-sim/sim.server.js';
import { TEST_ADMIN_TOKEN, TEST_REDIS_URL, testDatabaseUrl } from './test-env.js';

export interface GraphQLAnswer<Data> {
  status: number;
  data?: Data | null;
  errors?: Array<{ message: string; extensions?: { code?: string; errcode?: number } }>;
}

export interface TestApp {
  /** GraphQL URL of the running service. */
  url: string;
  appId: string;
  sim: WechatSimulator;
  app: App;
  /** Everything the service logged so far, one JSON line each. */
  logs(): string;
  gql<Data = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    options?: { admin?: boolean; token?: string },
  ): Promise<GraphQLAnswer<Data>>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  sim?: Omit<SimulatorOptions, 'appid'>;
  /** Extra environment for loadConfig (e.g. REPLAY_RETRY_MINUTES). */
  env?: Record<string, string>;
  /** Start against an already running simulator (several instances, one WeChat). */
  sharedSim?: { sim: WechatSimulator; appId: string };
}

/** A fresh app id per test app: its rows and Redis keys are its own, so tests never collide. */
export const uniqueAppId = () => `wxtest${randomBytes(6).toString('hex')}`;

/**
 * Starts the project's WeChat simulator and the real service on random ports, against the test
 * database and test Redis, and gives a GraphQL client that speaks HTTP like the mini-program.
 */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const appId = options.sharedSim?.appId ?? uniqueAppId();
  const sim =
    options.sharedSim?.sim ?? (await startWechatSimulator({ ...options.sim, appid: appId }));
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'debug',
    DATABASE_URL: testDatabaseUrl(),
    REDIS_URL: TEST_REDIS_URL,
    WECHAT_APPID: appId,
    WECHAT_SECRET: sim.secret,
    WECHAT_API_BASE: sim.url,
    WECHAT_TIMEOUT_MS: '2000',
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    SCHEDULER_ENABLED: 'false',
    ...options.env,
  });
  const logStream = new PassThrough();
  const lines: string[] = [];
  logStream.on('data', (chunk: Buffer) => lines.push(chunk.toString('utf8')));
  const app = await createApp(config, {
    logger: createLogger({ level: 'debug', pretty: false, destination: logStream }),
    migrate: false,
    wechatRetry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20, rateLimitWaitMs: () => 50 },
  });
  const url = await app.listen(0, '127.0.0.1');

  return {
    url,
    appId,
    sim,
    app,
    logs: () => lines.join(''),
    async gql(query, variables, requestOptions = {}) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      const token = requestOptions.token ?? (requestOptions.admin ? TEST_ADMIN_TOKEN : undefined);
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      const response = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as Omit<GraphQLAnswer<never>, 'status'>;
      return { status: response.status, ...body } as GraphQLAnswer<never>;
    },
    async close() {
      await app.close();
      if (!options.sharedSim) await sim.close();
    },
  };
}
