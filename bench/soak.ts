/**
 * `npm run bench:soak`: 60 seconds of read load (50 connections on `rooms` and `room`) while syncs
 * run back to back against a 10,000-room simulator that injects a WeChat fault every few seconds.
 * Samples the service's MySQL connections, Redis clients and RSS every 5 s and prints whether reads
 * never failed, connections did not grow and memory stayed flat after warm-up.
 * Writes bench/soak-results.json and refreshes the soak figures in docs/benchmarks.md.
 * `--quick` runs 20 s on 2,000 rooms, writes bench/soak-results.quick.json and leaves the page alone.
 */
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';

import { generateRooms } from '../src/wechat-sim/sim.rooms.js';
import {
  startWechatSimulator,
  type SimFault,
  type WechatSimulator,
} from '../src/wechat-sim/sim.server.js';
import { updateDocsFigures } from './docs-figures.js';
import { hasNoGraphqlErrors } from './graphql-errors.js';
import { startService, type ServiceProcess } from './service-process.js';

const { values: flags } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const SECONDS = flags.quick ? 20 : 60;
const ROOMS = flags.quick ? 2_000 : 10_000;
const WARMUP_SECONDS = flags.quick ? 5 : 15;
const FAULT_EVERY_MS = 3_000;
const DATABASE = 'wxlive_soak';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/13';
const APPID = 'wxsoak0000000001';
const ADMIN_TOKEN = 'soak-admin-token-0123456789';

const FAULTS: SimFault[] = [
  { endpoint: 'list', kind: 'errcode', errcode: -1 },
  { endpoint: 'list', kind: 'http', status: 502 },
  { endpoint: 'list', kind: 'malformed' },
  { endpoint: 'list', kind: 'errcode', errcode: 9410002 },
  { endpoint: 'list', kind: 'hang', ms: 2_000 },
  { endpoint: 'list', kind: 'errcode', errcode: 40001 },
  { endpoint: 'list', kind: 'drop-field', field: 'roomid' },
];

interface Sample {
  second: number;
  mysqlConnections: number;
  redisClients: number;
  rssMiB: number;
}

/** The simulator, the service in front of it, and the connections the sampler watches them with. */
interface SoakStack {
  admin: mysql.Connection;
  redis: Redis;
  sim: WechatSimulator;
  service: ServiceProcess;
}

/** What the syncs answered: by error code (OK when none), and for each injected fault. */
interface SyncTally {
  syncOutcomes: Map<string, number>;
  /** Each injected fault and what the sync it hit answered. */
  faultOutcomes: Map<string, Map<string, number>>;
}

type ReadResult = autocannon.Result;

const log = (message: string) => console.log(`[soak] ${message}`);

async function startStack(): Promise<SoakStack> {
  const admin = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
  await admin.query(`DROP DATABASE IF EXISTS \`${DATABASE}\``);
  const redis = new Redis(REDIS_URL);
  await redis.flushdb();
  const sim = await startWechatSimulator({
    appid: APPID,
    rooms: generateRooms({ count: ROOMS, seed: 7 }),
    latencyMs: 20,
    dailyQuota: 10_000_000,
  });
  const service = await startService({
    NODE_ENV: 'production',
    LOG_LEVEL: 'error',
    DATABASE_URL: `mysql://root@127.0.0.1:3306/${DATABASE}`,
    REDIS_URL,
    WECHAT_APPID: APPID,
    WECHAT_SECRET: sim.secret,
    WECHAT_API_BASE: sim.url,
    WECHAT_TIMEOUT_MS: '1500',
    ADMIN_TOKEN,
    SCHEDULER_ENABLED: 'false',
  });
  return { admin, redis, sim, service };
}

async function stopStack({ admin, redis, sim, service }: SoakStack): Promise<void> {
  await service.stop();
  await sim.close();
  await admin.query(`DROP DATABASE IF EXISTS \`${DATABASE}\``);
  await admin.end();
  redis.disconnect();
}

/** An admin `syncRooms`; its answer is returned, errors included, for the tally. */
async function sync(service: ServiceProcess, query: string) {
  const response = await fetch(service.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
}

async function sample(stack: SoakStack, second: number): Promise<Sample> {
  const [rows] = await stack.admin.query(
    'SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ?',
    [DATABASE],
  );
  const clients = (await stack.redis.client('LIST')) as string;
  const status = await readFile(`/proc/${stack.service.pid}/status`, 'utf8');
  return {
    second,
    mysqlConnections: Number((rows as Array<{ n: number }>)[0]?.n ?? 0),
    redisClients: clients.split('\n').filter((line) => /name=wxlive/.test(line)).length,
    rssMiB: Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024),
  };
}

function describe(fault: SimFault): string {
  if (fault.kind === 'errcode') return `errcode ${fault.errcode}`;
  if (fault.kind === 'http') return `HTTP ${fault.status}`;
  if (fault.kind === 'hang') return `hang ${fault.ms} ms`;
  if (fault.kind === 'drop-field') return `missing ${fault.field}`;
  return fault.kind;
}

function count(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Syncs back to back, a fault injected every FAULT_EVERY_MS, until `stop` resolves the loop. */
function startSyncLoop(stack: SoakStack): { tally: SyncTally; stop: () => Promise<void> } {
  const tally: SyncTally = { syncOutcomes: new Map(), faultOutcomes: new Map() };
  const state = { stopped: false };
  const loop = (async () => {
    let index = 0;
    let faults = 0;
    let lastFault = 0;
    while (!state.stopped) {
      let injected: string | undefined;
      if (Date.now() - lastFault >= FAULT_EVERY_MS) {
        // Each kind in turn, whatever the number of syncs between two faults.
        const fault = FAULTS[faults % FAULTS.length]!;
        faults += 1;
        stack.sim.injectFault(fault);
        injected = describe(fault);
        lastFault = Date.now();
      }
      const target = stack.sim.rooms()[index % 100];
      if (target) stack.sim.updateRoom(target.roomid, { name: `soak ${index}` });
      const answer = await sync(
        stack.service,
        'mutation { syncRooms { roomsAdded roomsUpdated } }',
      );
      const outcome = answer.errors?.[0]?.extensions?.code ?? 'OK';
      count(tally.syncOutcomes, outcome);
      if (injected) {
        const byOutcome = tally.faultOutcomes.get(injected) ?? new Map<string, number>();
        count(byOutcome, outcome);
        tally.faultOutcomes.set(injected, byOutcome);
      }
      index += 1;
    }
  })();
  return {
    tally,
    stop: async () => {
      state.stopped = true;
      await loop;
    },
  };
}

async function readLoad(url: string): Promise<ReadResult> {
  const body = (query: string, variables: Record<string, unknown>) =>
    JSON.stringify({ query, variables });
  const fields = 'roomId name liveStatus startTime goods { name price } replays { mediaUrl }';
  const page = `query P($p: Int) { rooms(page: $p, pageSize: 20) { totalCount items { ${fields} } } }`;
  return autocannon({
    url,
    connections: 50,
    duration: SECONDS,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    // Failed reads answered with HTTP 200 and an `errors` member land in `mismatches`.
    verifyBody: hasNoGraphqlErrors,
    requests: [
      { body: body(page, { p: 1 }) },
      { body: body(page, { p: 7 }) },
      {
        body: body(
          `query S { rooms(status: [LIVE, ENDED], pageSize: 20) { totalCount items { ${fields} } } }`,
          {},
        ),
      },
    ],
  });
}

function summaryLines(result: ReadResult, tally: SyncTally): string[] {
  return [
    `Soak: ${SECONDS} s, 50 connections, ${ROOMS} rooms, a WeChat fault every ${FAULT_EVERY_MS / 1000} s (npm run bench:soak${flags.quick ? ' -- --quick' : ''})`,
    `reads: ${Math.round(result.requests.average)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ${result.errors + result.timeouts} errors, ${result.non2xx} non-2xx, ${result.mismatches} GraphQL errors`,
    `syncs: ${[...tally.syncOutcomes].map(([code, n]) => `${code} ${n}`).join(', ')}`,
    `faults (the sync each one hit answered): ${[...tally.faultOutcomes]
      .map(
        ([fault, outcomes]) =>
          `${fault} → ${[...outcomes].map(([code, n]) => `${code} ×${n}`).join(' ')}`,
      )
      .join('; ')}`,
  ];
}

function verdictLines(result: ReadResult, samples: Sample[]): string[] {
  const afterWarmup = samples.filter((entry) => entry.second >= WARMUP_SECONDS);
  const first = afterWarmup[0] ?? samples[0]!;
  const last = samples[samples.length - 1]!;
  const maxOf = (key: keyof Sample) => Math.max(...samples.map((entry) => entry[key]));
  const verdict = (ok: boolean) => (ok ? 'MET' : 'MISSED');
  return [
    `${verdict(result.errors + result.timeouts + result.non2xx + result.mismatches === 0)} zero failed reads (${result.errors + result.timeouts} errors, ${result.non2xx} non-2xx, ${result.mismatches} GraphQL errors)`,
    `${verdict(last.mysqlConnections <= first.mysqlConnections + 1)} MySQL connections did not grow (${first.mysqlConnections} → ${last.mysqlConnections}, max ${maxOf('mysqlConnections')}; the pool's limit is 10)`,
    `${verdict(last.redisClients <= first.redisClients)} Redis clients did not grow (${first.redisClients} → ${last.redisClients})`,
    `${verdict(last.rssMiB <= first.rssMiB * 1.2)} memory flat after warm-up (${first.rssMiB} → ${last.rssMiB} MiB, max ${maxOf('rssMiB')})`,
  ];
}

/** The figures block: the summary, the samples table and the verdicts. */
function soakLines(result: ReadResult, tally: SyncTally, samples: Sample[]): string[] {
  return [
    ...summaryLines(result, tally),
    '',
    '| s | MySQL connections | Redis clients | RSS MiB |',
    '|---:|---:|---:|---:|',
    ...samples.map(
      (entry) =>
        `| ${entry.second} | ${entry.mysqlConnections} | ${entry.redisClients} | ${entry.rssMiB} |`,
    ),
    '',
    ...verdictLines(result, samples),
  ];
}

/** `_generated` comes first: JSON has no comments, and the file must say it is generated. */
async function writeSoakResults(result: ReadResult, tally: SyncTally, samples: Sample[]) {
  const file = flags.quick ? 'bench/soak-results.quick.json' : 'bench/soak-results.json';
  const record = {
    _generated: `by npm run bench:soak${flags.quick ? ' -- --quick' : ''} (bench/soak.ts); do not edit`,
    result: {
      rps: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      errors: result.errors,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
      graphqlErrors: result.mismatches,
    },
    syncOutcomes: Object.fromEntries(tally.syncOutcomes),
    faultOutcomes: Object.fromEntries(
      [...tally.faultOutcomes].map(([fault, outcomes]) => [fault, Object.fromEntries(outcomes)]),
    ),
    samples,
  };
  await writeFile(file, `${JSON.stringify(record, null, 2)}\n`);
}

async function main(): Promise<void> {
  log('building the service (npm run build)');
  execFileSync('npm', ['run', '-s', 'build'], { stdio: 'inherit' });
  const stack = await startStack();
  log('first sync');
  await sync(stack.service, 'mutation { syncRooms { roomsAdded } }');

  const started = Date.now();
  const samples: Sample[] = [];
  const takeSample = async () =>
    samples.push(await sample(stack, Math.round((Date.now() - started) / 1000)));
  const syncLoop = startSyncLoop(stack);
  const sampler = setInterval(() => void takeSample(), 5_000);
  await takeSample();
  log(
    `${SECONDS} s of read load while syncs run back to back with a fault every ${FAULT_EVERY_MS / 1000} s`,
  );
  const result = await readLoad(stack.service.url);
  clearInterval(sampler);
  await syncLoop.stop();
  await takeSample();
  await stopStack(stack);

  const lines = soakLines(result, syncLoop.tally, samples);
  console.log(`\n${lines.join('\n')}\n`);
  if (!flags.quick) {
    const generatedBy = 'npm run bench:soak (bench/soak.ts)';
    await updateDocsFigures({ name: 'soak', generatedBy, markdown: lines.join('\n') });
  }
  await writeSoakResults(result, syncLoop.tally, samples);
}

await main();
