import { validate as validateCron } from 'node-cron';
import { z } from 'zod';

/**
 * The only reader of `process.env`. Every setting is validated once at start-up; a bad or missing
 * one stops the process with a message naming each offending key (all of them at once).
 */

const emptyToUndefined = (value: unknown) => (value === '' ? undefined : value);
const optionalString = z.preprocess(emptyToUndefined, z.string().min(1).optional());
const url = (protocols: string[]) =>
  z.url().refine((value) => protocols.includes(new URL(value).protocol), {
    message: `must be a ${protocols.join(' or ')} URL`,
  });
const positiveInt = z.coerce.number().int().positive();
/** `host:port[,host:port…]`, parsed into addresses; empty means unset. */
const hostPortList = optionalString.pipe(
  z
    .string()
    .regex(/^[^\s,:]+:\d+(,[^\s,:]+:\d+)*$/, 'must be host:port[,host:port…]')
    .transform((list) =>
      list.split(',').map((entry) => {
        const [host, port] = entry.split(':');
        return { host: host!, port: Number(port) };
      }),
    )
    .refine(
      (addresses) => addresses.every(({ port }) => port >= 1 && port <= 65_535),
      'every port must be 1-65535',
    )
    .optional(),
);

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: url(['mysql:']).default('mysql://root@127.0.0.1:3306/wxlive'),
  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379/0'),
  /** Redis Sentinel: `host:port` of each sentinel, comma-separated; REDIS_URL then gives db/password. */
  REDIS_SENTINELS: hostPortList,
  REDIS_SENTINEL_NAME: z.string().min(1).default('mymaster'),
  /** Redis Cluster: `host:port` of some of its nodes; REDIS_URL then gives username/password/TLS. */
  REDIS_CLUSTER_NODES: hostPortList,
  WECHAT_APPID: z
    .string()
    .regex(/^wx[0-9a-zA-Z]{6,32}$/, 'must look like a mini-program appid (wx…)'),
  WECHAT_SECRET: z.string().min(8, 'must be the mini-program AppSecret'),
  WECHAT_API_BASE: url(['https:', 'http:']).default('https://api.weixin.qq.com'),
  WECHAT_DAILY_QUOTA: positiveInt.default(500),
  WECHAT_TIMEOUT_MS: positiveInt.default(10_000),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters'),
  HOST: z.string().min(1).default('0.0.0.0'),
  /** Defaults: on outside production, off in production. */
  GRAPHQL_INTROSPECTION: z.preprocess(emptyToUndefined, z.enum(['true', 'false']).optional()),
  GRAPHQL_SANDBOX: z.preprocess(emptyToUndefined, z.enum(['true', 'false']).optional()),
  /** Browser origins allowed to call /graphql (comma-separated); the mini-program needs none. */
  CORS_ORIGINS: optionalString,
  /** Behind a load balancer: the client address is the first X-Forwarded-For entry. */
  TRUST_PROXY: z.enum(['true', 'false']).default('false'),
  /** Failed admin-token attempts from one client before it is refused for ADMIN_LOCKOUT_MINUTES. */
  ADMIN_LOCKOUT_FAILURES: positiveInt.default(10),
  ADMIN_LOCKOUT_MINUTES: positiveInt.default(15),
  PORT: z.coerce.number().int().min(0).max(65_535).default(4000),
  SYNC_CRON: z
    .string()
    .refine((expression) => validateCron(expression), 'must be a valid cron expression')
    .default('*/10 * * * *'),
  /** adaptive: the planner reads where a change is due (docs/freshness.md); cron: SYNC_CRON. */
  SYNC_MODE: z.enum(['adaptive', 'cron']).default('adaptive'),
  /** Calls of the day the adaptive planner leaves for admins. */
  QUOTA_RESERVE: z.coerce.number().int().min(0).default(50),
  /** Full syncs in adaptive mode: never more often than the minimum, at least the maximum apart. */
  FULL_SYNC_MIN_MINUTES: positiveInt.default(5),
  FULL_SYNC_MAX_MINUTES: positiveInt.default(60),
  /** How stale a starting or ending room may get while the budget allows. */
  FRESHNESS_TARGET_SECONDS: z.coerce.number().int().min(10).default(60),
  /** Whether this process schedules the sync and token jobs at all (all instances may; locks keep one). */
  SCHEDULER_ENABLED: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true'),
  TOKEN_REFRESH_CRON: z
    .string()
    .refine((expression) => validateCron(expression), 'must be a valid cron expression')
    .default('*/5 * * * *'),
  DEFAULT_ANCHOR_IMG: optionalString.pipe(z.url().optional()),
  /** A room without replays is asked again at most this often while WeChat has none yet. */
  REPLAY_RETRY_MINUTES: positiveInt.default(30),
  /** ...and no longer once this many days passed since the first ask that found none. */
  REPLAY_GIVE_UP_DAYS: positiveInt.default(7),
  SYNC_LOCK_TTL_SECONDS: positiveInt.default(60),
  /** List pages read at once once the first page told the total. */
  SYNC_LIST_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(8),
  /** Rooms whose replays are fetched at once. */
  SYNC_REPLAY_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(32),
});

type Env = z.infer<typeof envSchema>;

/** Every environment variable the process reads, straight from the schema (`.env.example` lists them). */
export const CONFIG_KEYS: readonly string[] = Object.freeze(Object.keys(envSchema.shape));

export interface Config {
  readonly env: Env['NODE_ENV'];
  readonly logLevel: Env['LOG_LEVEL'];
  readonly databaseUrl: string;
  readonly redisUrl: string;
  /** Set when Redis is reached through Sentinel. */
  readonly redisSentinel: {
    readonly sentinels: ReadonlyArray<{ readonly host: string; readonly port: number }>;
    readonly name: string;
  } | null;
  /** Set when Redis is a Redis Cluster: the nodes to start from (the others are discovered). */
  readonly redisCluster: {
    readonly nodes: ReadonlyArray<{ readonly host: string; readonly port: number }>;
  } | null;
  readonly wechat: {
    readonly appid: string;
    readonly secret: string;
    readonly apiBase: string;
    readonly dailyQuotaFallback: number;
    readonly timeoutMs: number;
  };
  readonly adminToken: string;
  readonly http: {
    readonly introspection: boolean;
    readonly sandbox: boolean;
    readonly corsOrigins: readonly string[];
    readonly trustProxy: boolean;
    readonly adminLockoutFailures: number;
    readonly adminLockoutMinutes: number;
  };
  readonly host: string;
  readonly port: number;
  readonly scheduler: {
    readonly enabled: boolean;
    readonly syncCron: string;
    readonly tokenRefreshCron: string;
  };
  readonly sync: {
    readonly replayRetryMinutes: number;
    readonly replayGiveUpDays: number;
    readonly lockTtlSeconds: number;
    readonly listConcurrency: number;
    readonly replayConcurrency: number;
  };
  readonly freshness: {
    readonly mode: 'adaptive' | 'cron';
    readonly targetSeconds: number;
    readonly fullSyncMinMinutes: number;
    readonly fullSyncMaxMinutes: number;
    readonly quotaReserve: number;
  };
  readonly defaultAnchorImg: string | null;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses an environment (normally `process.env`) into a frozen Config, or throws ConfigError. */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(source);
  // Name the key, never echo the value: it may be a secret.
  const problems = [
    ...(parsed.error?.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    ) ?? []),
    ...redisTopologyProblems(source),
    ...fullSyncIntervalProblems(parsed.data),
  ];
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const env = parsed.data;
  return deepFreeze({
    env: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    redisSentinel: env.REDIS_SENTINELS
      ? { sentinels: env.REDIS_SENTINELS, name: env.REDIS_SENTINEL_NAME }
      : null,
    redisCluster: env.REDIS_CLUSTER_NODES ? { nodes: env.REDIS_CLUSTER_NODES } : null,
    wechat: {
      appid: env.WECHAT_APPID,
      secret: env.WECHAT_SECRET,
      apiBase: env.WECHAT_API_BASE.replace(/\/+$/, ''),
      dailyQuotaFallback: env.WECHAT_DAILY_QUOTA,
      timeoutMs: env.WECHAT_TIMEOUT_MS,
    },
    adminToken: env.ADMIN_TOKEN,
    http: {
      introspection: env.GRAPHQL_INTROSPECTION
        ? env.GRAPHQL_INTROSPECTION === 'true'
        : env.NODE_ENV !== 'production',
      sandbox: env.GRAPHQL_SANDBOX ? env.GRAPHQL_SANDBOX === 'true' : env.NODE_ENV !== 'production',
      // Outside production, Apollo's hosted Studio/Sandbox may call the service from the browser.
      corsOrigins: (
        env.CORS_ORIGINS ??
        (env.NODE_ENV === 'production' ? '' : 'https://studio.apollographql.com')
      )
        .split(',')
        .map((origin) => origin.trim())
        .filter((origin) => origin.length > 0),
      trustProxy: env.TRUST_PROXY === 'true',
      adminLockoutFailures: env.ADMIN_LOCKOUT_FAILURES,
      adminLockoutMinutes: env.ADMIN_LOCKOUT_MINUTES,
    },
    host: env.HOST,
    port: env.PORT,
    scheduler: {
      enabled: env.SCHEDULER_ENABLED,
      syncCron: env.SYNC_CRON,
      tokenRefreshCron: env.TOKEN_REFRESH_CRON,
    },
    sync: {
      replayRetryMinutes: env.REPLAY_RETRY_MINUTES,
      replayGiveUpDays: env.REPLAY_GIVE_UP_DAYS,
      lockTtlSeconds: env.SYNC_LOCK_TTL_SECONDS,
      listConcurrency: env.SYNC_LIST_CONCURRENCY,
      replayConcurrency: env.SYNC_REPLAY_CONCURRENCY,
    },
    freshness: {
      mode: env.SYNC_MODE,
      targetSeconds: env.FRESHNESS_TARGET_SECONDS,
      fullSyncMinMinutes: env.FULL_SYNC_MIN_MINUTES,
      fullSyncMaxMinutes: env.FULL_SYNC_MAX_MINUTES,
      quotaReserve: env.QUOTA_RESERVE,
    },
    defaultAnchorImg: env.DEFAULT_ANCHOR_IMG ?? null,
  });
}

function fullSyncIntervalProblems(env: Env | undefined): string[] {
  if (!env || env.FULL_SYNC_MIN_MINUTES <= env.FULL_SYNC_MAX_MINUTES) return [];
  return [
    `FULL_SYNC_MIN_MINUTES: must not exceed FULL_SYNC_MAX_MINUTES (${env.FULL_SYNC_MIN_MINUTES} > ${env.FULL_SYNC_MAX_MINUTES})`,
  ];
}

/**
 * Checks between Redis settings, read from the raw values so they are reported together with
 * every other problem (the schema's own refinements would only run once everything else parsed).
 */
function redisTopologyProblems(source: Record<string, string | undefined>): string[] {
  const isSet = (key: string) => (source[key] ?? '') !== '';
  if (!isSet('REDIS_CLUSTER_NODES')) return [];
  if (isSet('REDIS_SENTINELS')) {
    return [
      'REDIS_CLUSTER_NODES: cannot be combined with REDIS_SENTINELS (Redis is either a cluster or found through Sentinel)',
    ];
  }
  let database = '';
  try {
    database = new URL(source.REDIS_URL ?? '').pathname.slice(1);
  } catch {
    // An unset or malformed REDIS_URL is the schema's to report.
  }
  return database === '' || database === '0'
    ? []
    : [
        'REDIS_URL: must name database 0 (or none) with REDIS_CLUSTER_NODES: a cluster has no other',
      ];
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (child && typeof child === 'object') deepFreeze(child as object);
  }
  return Object.freeze(value);
}

/** Reads only DATABASE_URL, for tools that touch nothing else (migrations). */
export function loadDatabaseUrl(source: Record<string, string | undefined> = process.env): string {
  const parsed = envSchema.shape.DATABASE_URL.safeParse(emptyToUndefined(source.DATABASE_URL));
  if (!parsed.success) {
    throw new ConfigError([`DATABASE_URL: ${parsed.error.issues[0]?.message ?? 'invalid'}`]);
  }
  return parsed.data;
}

/** Loads `.env` from the working directory when there is one; real environment variables win. */
export function loadDotEnvFile(path = '.env'): void {
  try {
    process.loadEnvFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * Config for the demo: the given settings (the simulator's appid, secret and URL) on top of the
 * environment, on top of demo defaults (its own database, so a user's `wxlive` is never touched).
 */
export function loadDemoConfig(forced: Record<string, string>): Config {
  return loadConfig({
    DATABASE_URL: 'mysql://root@127.0.0.1:3306/wxlive_demo',
    SYNC_CRON: '* * * * *',
    ...process.env,
    ...forced,
  });
}
