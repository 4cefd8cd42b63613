import mysql from 'mysql2/promise';
import { Redis } from 'ioredis';

import type { SimRoom } from '../src/wechat-sim/sim.rooms.js';
import { startWechatSimulator, type WechatSimulator } from '../src/wechat-sim/sim.server.js';
import { calibrate, type CallCost } from './floors.js';
import type { BenchResults } from './results.js';
import { startService, type ServiceProcess } from './service-process.js';
import {
  ADMIN_TOKEN,
  APPID,
  BENCH_DB_SERVER,
  BENCH_REDIS,
  type BenchSettings,
} from './settings.js';

/** What every scenario gets: the run's settings, the results record, and a server-wide MySQL connection. */
export interface BenchRun {
  settings: BenchSettings;
  results: BenchResults;
  admin: mysql.Connection;
}

/** A simulator, fresh storage and the service in front of them, with the timed cost of a bare call. */
export interface Stack {
  service: ServiceProcess;
  sim: WechatSimulator;
  databaseUrl: string;
  database: string;
  cost: CallCost;
}

export async function gql(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  admin = false,
) {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(admin ? { authorization: `Bearer ${ADMIN_TOKEN}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  const body = JSON.parse(text) as {
    data?: Record<string, Record<string, number>>;
    errors?: unknown[];
  };
  if (body.errors) throw new Error(`GraphQL error: ${JSON.stringify(body.errors)}`);
  return { body, text };
}

async function resetStorage(): Promise<string> {
  const url = new URL(BENCH_DB_SERVER);
  const name = url.pathname.slice(1);
  const connection = await mysql.createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: url.username || 'root',
  });
  await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await connection.end();
  const redis = new Redis(BENCH_REDIS);
  await redis.flushdb();
  redis.disconnect();
  return url.toString();
}

function serviceEnv(sim: WechatSimulator, databaseUrl: string): Record<string, string> {
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    REDIS_URL: BENCH_REDIS,
    WECHAT_APPID: APPID,
    WECHAT_SECRET: sim.secret,
    WECHAT_API_BASE: sim.url,
    ADMIN_TOKEN,
    SCHEDULER_ENABLED: 'false',
    SYNC_LOCK_TTL_SECONDS: '60',
  };
}

/** A simulator with these rooms, a fresh database and Redis, and the service in front of them. */
export async function withStack(
  run: BenchRun,
  stack: { name: string; rooms: SimRoom[] },
  body: (stack: Stack) => Promise<void>,
): Promise<void> {
  const sim = await startWechatSimulator({
    appid: APPID,
    rooms: stack.rooms,
    latencyMs: run.settings.latencyMs,
    dailyQuota: 10_000_000,
  });
  const databaseUrl = await resetStorage();
  const service = await startService(serviceEnv(sim, databaseUrl));
  try {
    const cost = await calibrate(
      sim,
      stack.rooms.map((room) => room.roomid),
    );
    run.results.notes.push(
      `${stack.name}: a bare WeChat call costs ${cost.listMs.toFixed(1)} ms (list) and ${cost.replayMs.toFixed(1)} ms (replay) per concurrency slot`,
    );
    await body({
      service,
      sim,
      databaseUrl,
      database: new URL(databaseUrl).pathname.slice(1),
      cost,
    });
  } finally {
    await service.stop();
    await sim.close();
  }
}
