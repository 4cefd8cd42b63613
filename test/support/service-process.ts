import { request, type Agent, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';

import type { WechatSimulator } from '../../src/wechat-sim/sim.server.js';
import {
  freePort,
  spawnWatched,
  waitUntil,
  type ExitStatus,
  type WatchedProcess,
} from './processes.js';
import type { GraphQLAnswer } from './test-app.js';
import { TEST_ADMIN_TOKEN, TEST_REDIS_URL, testDatabaseUrl } from './test-env.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface ServiceProcessOptions {
  appId: string;
  /** The WeChat the service talks to: its URL and secret. */
  sim: Pick<WechatSimulator, 'url' | 'secret'>;
  /** Default: this run's test database. */
  databaseUrl?: string;
  /** Default: the test Redis. */
  redisUrl?: string;
  /** More environment, winning over the defaults (SCHEDULER_ENABLED, SYNC_CRON, ...). */
  env?: Record<string, string>;
  /** What must answer 200 before the service counts as started (default `/readyz`). */
  waitFor?: '/readyz' | '/healthz';
}

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** The real service (`src/main.ts`) running as a process of its own, as in production. */
export interface ServiceProcess {
  port: number;
  /** `http://127.0.0.1:<port>`. */
  baseUrl: string;
  pid: number;
  /** What it wrote to stdout and stderr so far (pino JSON lines). */
  output(): string;
  /** Its log lines parsed (lines that are not JSON are skipped). */
  logs(): Array<Record<string, unknown>>;
  exitStatus(): ExitStatus | null;
  exited: Promise<ExitStatus>;
  /** GET `path` (on a fresh connection unless given an agent). */
  get(path: string, agent?: Agent): Promise<HttpAnswer>;
  /** POSTs an operation to /graphql (on a fresh connection unless given an agent), as admin when asked. */
  gql<Data = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    options?: { admin?: boolean; agent?: Agent },
  ): Promise<GraphQLAnswer<Data> & { headers: IncomingHttpHeaders }>;
  /** Whether a new TCP connection to its port is accepted right now. */
  acceptsConnections(): Promise<boolean>;
  signal(signal: NodeJS.Signals): void;
  /** SIGKILL and wait for the exit. */
  kill(): Promise<ExitStatus>;
  /** SIGTERM, wait for the exit (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<ExitStatus>;
}

/**
 * One HTTP exchange, by default on a connection of its own (no keep-alive pool): a request never
 * lands on a socket left over from a process that has since been killed or is shutting down. Pass
 * a keep-alive `agent` to behave like a load balancer that reuses its connections.
 */
export function httpExchange(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; agent?: Agent } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent: options.agent ?? false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

/** The environment the tests start the service with, before `options.env`. */
export function serviceEnv(options: ServiceProcessOptions, port: number): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: options.databaseUrl ?? testDatabaseUrl(),
    REDIS_URL: options.redisUrl ?? TEST_REDIS_URL,
    WECHAT_APPID: options.appId,
    WECHAT_SECRET: options.sim.secret,
    WECHAT_API_BASE: options.sim.url,
    WECHAT_TIMEOUT_MS: '5000',
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    SCHEDULER_ENABLED: 'false',
    ...options.env,
  };
}

/**
 * Starts `node --import tsx src/main.ts` (one process: signals reach the service itself, not a
 * wrapper) on a free port, and waits until `/readyz` (or `/healthz`) answers 200.
 */
export async function startServiceProcess(options: ServiceProcessOptions): Promise<ServiceProcess> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const watched: WatchedProcess = spawnWatched(
    process.execPath,
    ['--import', 'tsx', 'src/main.ts'],
    { cwd: repoRoot, env: { ...process.env, ...serviceEnv(options, port) } },
  );

  const service: ServiceProcess = {
    port,
    baseUrl,
    pid: watched.pid,
    output: watched.output,
    logs: () =>
      watched
        .output()
        .split('\n')
        .flatMap((line) => {
          try {
            const parsed = JSON.parse(line) as unknown;
            return parsed && typeof parsed === 'object' ? [parsed as Record<string, unknown>] : [];
          } catch {
            return [];
          }
        }),
    exitStatus: watched.exitStatus,
    exited: watched.exited,
    get: (path, agent) => httpExchange(`${baseUrl}${path}`, { agent }),
    async gql<Data>(
      query: string,
      variables?: Record<string, unknown>,
      requestOptions: { admin?: boolean; agent?: Agent } = {},
    ) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (requestOptions.admin) headers.authorization = `Bearer ${TEST_ADMIN_TOKEN}`;
      const answer = await httpExchange(`${baseUrl}/graphql`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables }),
        agent: requestOptions.agent,
      });
      let parsed: Omit<GraphQLAnswer<Data>, 'status'>;
      try {
        parsed = JSON.parse(answer.body) as Omit<GraphQLAnswer<Data>, 'status'>;
      } catch {
        throw new Error(`not a GraphQL answer (HTTP ${answer.status}): ${answer.body}`);
      }
      return { status: answer.status, headers: answer.headers, ...parsed };
    },
    acceptsConnections: () =>
      new Promise((resolve) => {
        const socket = connect({ host: '127.0.0.1', port });
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      }),
    signal: (signal) => {
      if (watched.exitStatus() === null) watched.child.kill(signal);
    },
    kill: () => watched.stop('SIGKILL'),
    stop: (graceMs = 15_000) => watched.stop('SIGTERM', graceMs),
  };

  const path = options.waitFor ?? '/readyz';
  try {
    await waitUntil(
      `the service to answer 200 on ${path}`,
      async () => (await service.get(path)).status === 200,
      {
        timeoutMs: 60_000,
        giveUpIf: () => {
          const status = watched.exitStatus();
          return status ? `the service exited (${JSON.stringify(status)})` : undefined;
        },
      },
    );
  } catch (error) {
    await watched.stop('SIGKILL');
    throw new Error(`${(error as Error).message}\n--- service output ---\n${watched.output()}`, {
      cause: error,
    });
  }
  return service;
}
