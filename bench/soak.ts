/**
 * `npm run bench:soak`: 60 seconds of read load (50 connections on `rooms` and `room`) while syncs
 * run back to back against a 10,000-room simulator that injects a WeChat fault every few seconds.
 * Samples the service's MySQL connections, Redis clients and RSS every 5 s and prints whether reads
 * never failed, connections did not grow and memory stayed flat after warm-up.
 * `--quick` runs 20 s on 2,000 rooms.
 */
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';

import { generateRooms } from '../src/wechat-sim/sim.rooms.js';
import { startWechatSimulator, type SimFault } from '../src/wechat-sim/sim.server.js';
import { hasNoGraphqlErrors } from './graphql-errors.js';
import { updateReadmeFigures } from './readme-figures.js';
import { startService } from './service-process.js';

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

const log = (message: string) => console.log(`[soak] ${message}`);

async function main(): Promise<void> {
  log('building the service (npm run build)');
  execFileSync('npm', ['run', '-s', 'build'], { stdio: 'inherit' });
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
  const gql = async (query: string, admin = false) => {
    const response = await fetch(service.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(admin ? { authorization: `Bearer ${ADMIN_TOKEN}` } : {}),
      },
      body: JSON.stringify({ query }),
    });
    return (await response.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
  };
  log('first sync');
  await gql('mutation { syncRooms { added } }', true);

  const samples: Sample[] = [];
  const sample = async (second: number) => {
    const [rows] = await admin.query(
      'SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ?',
      [DATABASE],
    );
    const clients = (await redis.client('LIST')) as string;
    const status = await readFile(`/proc/${service.pid}/status`, 'utf8');
    samples.push({
      second,
      mysqlConnections: Number((rows as Array<{ n: number }>)[0]?.n ?? 0),
      redisClients: clients.split('\n').filter((line) => /name=wxlive/.test(line)).length,
      rssMiB: Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024),
    });
  };

  const started = Date.now();
  let stop = false;
  const syncOutcomes = new Map<string, number>();
  /** Each injected fault and what the sync it hit answered. */
  const faultOutcomes = new Map<string, Map<string, number>>();
  const describe = (fault: SimFault) =>
    fault.kind === 'errcode'
      ? `errcode ${fault.errcode}`
      : fault.kind === 'http'
        ? `HTTP ${fault.status}`
        : fault.kind === 'hang'
          ? `hang ${fault.ms} ms`
          : fault.kind === 'drop-field'
            ? `missing ${fault.field}`
            : fault.kind;
  const syncLoop = (async () => {
    let index = 0;
    let faults = 0;
    let lastFault = 0;
    while (!stop) {
      let injected: string | undefined;
      if (Date.now() - lastFault >= FAULT_EVERY_MS) {
        // Each kind in turn, whatever the number of syncs between two faults.
        const fault = FAULTS[faults % FAULTS.length]!;
        faults += 1;
        sim.injectFault(fault);
        injected = describe(fault);
        lastFault = Date.now();
      }
      const target = sim.rooms()[index % 100];
      if (target) sim.updateRoom(target.roomid, { name: `soak ${index}` });
      const answer = await gql('mutation { syncRooms { added updated } }', true);
      const outcome = answer.errors?.[0]?.extensions?.code ?? 'OK';
      syncOutcomes.set(outcome, (syncOutcomes.get(outcome) ?? 0) + 1);
      if (injected) {
        const byOutcome = faultOutcomes.get(injected) ?? new Map<string, number>();
        byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + 1);
        faultOutcomes.set(injected, byOutcome);
      }
      index += 1;
    }
  })();
  const sampler = setInterval(() => {
    void sample(Math.round((Date.now() - started) / 1000));
  }, 5_000);
  await sample(0);

  const body = (query: string, variables: Record<string, unknown>) =>
    JSON.stringify({ query, variables });
  const fields = 'roomId name liveStatus startTime goods { name price } replays { mediaUrl }';
  log(
    `${SECONDS} s of read load while syncs run back to back with a fault every ${FAULT_EVERY_MS / 1000} s`,
  );
  const result = await autocannon({
    url: service.url,
    connections: 50,
    duration: SECONDS,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    // Failed reads answered with HTTP 200 and an `errors` member land in `mismatches`.
    verifyBody: hasNoGraphqlErrors,
    requests: [
      {
        body: body(
          `query P($p: Int) { rooms(page: $p, pageSize: 20) { totalCount items { ${fields} } } }`,
          { p: 1 },
        ),
      },
      {
        body: body(
          `query P($p: Int) { rooms(page: $p, pageSize: 20) { totalCount items { ${fields} } } }`,
          { p: 7 },
        ),
      },
      {
        body: body(
          `query S { rooms(status: [LIVE, ENDED], pageSize: 20) { totalCount items { ${fields} } } }`,
          {},
        ),
      },
    ],
  });
  stop = true;
  clearInterval(sampler);
  await syncLoop;
  await sample(Math.round((Date.now() - started) / 1000));
  await service.stop();
  await sim.close();
  await admin.query(`DROP DATABASE IF EXISTS \`${DATABASE}\``);
  await admin.end();
  redis.disconnect();

  const afterWarmup = samples.filter((entry) => entry.second >= WARMUP_SECONDS);
  const first = afterWarmup[0] ?? samples[0]!;
  const last = samples[samples.length - 1]!;
  const maxOf = (key: keyof Sample) => Math.max(...samples.map((entry) => entry[key]));
  const verdict = (ok: boolean) => (ok ? 'MET' : 'MISSED');
  const lines = [
    `Soak: ${SECONDS} s, 50 connections, ${ROOMS} rooms, a WeChat fault every ${FAULT_EVERY_MS / 1000} s (npm run bench:soak${flags.quick ? ' -- --quick' : ''})`,
    `reads: ${Math.round(result.requests.average)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ${result.errors + result.timeouts} errors, ${result.non2xx} non-2xx, ${result.mismatches} GraphQL errors`,
    `syncs: ${[...syncOutcomes].map(([code, count]) => `${code} ${count}`).join(', ')}`,
    `faults (the sync each one hit answered): ${[...faultOutcomes]
      .map(
        ([fault, outcomes]) =>
          `${fault} → ${[...outcomes].map(([code, count]) => `${code} ×${count}`).join(' ')}`,
      )
      .join('; ')}`,
    '',
    '| s | MySQL connections | Redis clients | RSS MiB |',
    '|---:|---:|---:|---:|',
    ...samples.map(
      (entry) =>
        `| ${entry.second} | ${entry.mysqlConnections} | ${entry.redisClients} | ${entry.rssMiB} |`,
    ),
    '',
    `${verdict(result.errors + result.timeouts + result.non2xx + result.mismatches === 0)} zero failed reads (${result.errors + result.timeouts} errors, ${result.non2xx} non-2xx, ${result.mismatches} GraphQL errors)`,
    `${verdict(last.mysqlConnections <= first.mysqlConnections + 1)} MySQL connections did not grow (${first.mysqlConnections} → ${last.mysqlConnections}, max ${maxOf('mysqlConnections')}; the pool's limit is 10)`,
    `${verdict(last.redisClients <= first.redisClients)} Redis clients did not grow (${first.redisClients} → ${last.redisClients})`,
    `${verdict(last.rssMiB <= first.rssMiB * 1.2)} memory flat after warm-up (${first.rssMiB} → ${last.rssMiB} MiB, max ${maxOf('rssMiB')})`,
  ];
  console.log(`\n${lines.join('\n')}\n`);
  if (!flags.quick) await updateReadmeFigures('soak', lines.join('\n'));
  await writeFile(
    flags.quick ? 'bench/soak-results.quick.json' : 'bench/soak-results.json',
    `${JSON.stringify({ result: { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx, graphqlErrors: result.mismatches }, syncOutcomes: Object.fromEntries(syncOutcomes), faultOutcomes: Object.fromEntries([...faultOutcomes].map(([fault, outcomes]) => [fault, Object.fromEntries(outcomes)])), samples }, null, 2)}\n`,
  );
}

await main();
