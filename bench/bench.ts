/**
 * `npm run bench`: what the two hot paths cost. It starts everything itself — the project's WeChat
 * simulator with generated rooms and a per-call latency, a fresh benchmark database, and the built
 * service as a separate process — then measures:
 *   - sync: a first sync into an empty database, a steady-state sync, and a sync after 10% of the
 *     rooms changed, for several room counts: WeChat calls by kind (replay calls beside the rooms
 *     that could need them), wall time beside two WeChat floors, SQL statements, peak RSS of the
 *     service; and a first sync of 5,000 rooms most of which ended with replays;
 *   - reads: `rooms` queries under autocannon load (50 connections), beside a bare node:http server
 *     answering the same bytes, and the same load while syncs run; failed reads include answers
 *     with a GraphQL `errors` member;
 *   - the EXPLAIN of every statement with a WHERE that the API and the sync send.
 * Prints a table, writes bench/results.json, and refreshes the figures in README.md.
 * `--quick` is a one-minute pass with smaller sizes and shorter read runs.
 */
import { execFileSync, fork } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

import autocannon from 'autocannon';
import mysql from 'mysql2/promise';
import { Redis } from 'ioredis';

import { generateRooms, type SimRoom } from '../src/wechat-sim/sim.rooms.js';
import { startWechatSimulator, type WechatSimulator } from '../src/wechat-sim/sim.server.js';
import { explainEveryQuery, type ExplainedQuery } from './explain.js';
import { hasNoGraphqlErrors } from './graphql-errors.js';
import { updateReadmeFigures } from './readme-figures.js';
import { endedWithReplays, mostlyEndedWithReplays } from './replay-heavy-rooms.js';
import { freePort } from '../test/support/processes.js';
import { startService, type ServiceProcess } from './service-process.js';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    latency: { type: 'string', default: '20' },
    'no-readme': { type: 'boolean', default: false },
  },
});
const QUICK = flags.quick;
const LATENCY_MS = Number(flags.latency);
const SIZES = QUICK ? [1_000, 5_000] : [1_000, 10_000, 50_000];
const READ_ROOMS = QUICK ? 5_000 : 10_000;
const READ_SECONDS = QUICK ? 3 : 10;
const WARMUP_SECONDS = QUICK ? 2 : 5;
const CONNECTIONS = 50;
/** The issue's "first sync of 5,000 rooms at 20 ms per call, most of them ended with replays". */
const REPLAY_HEAVY_ROOMS = 5_000;
/** "A few seconds, not minutes". */
const REPLAY_HEAVY_TARGET_MS = 10_000;
/** Rows the simulator answers per get_replay page (its REPLAY_PAGE_CAP); the service asks for 100. */
const SIM_REPLAY_PAGE = 100;

const BENCH_DB_SERVER =
  process.env.BENCH_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/wxlive_bench';
const BENCH_REDIS = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/13';
const APPID = 'wxbench000000001';
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const ROOM_FIELDS = `roomId name coverImg shareImg liveStatus startTime endTime anchorName anchorImg pinned
  goods { goodsId name coverImg url price price2 priceType } replays { mediaUrl createTime expireTime }`;
const SYNC =
  'mutation { syncRooms { added updated archived restored replaysFetched listCalls replayCalls tokenCalls durationMs } }';

interface SyncFigures {
  rooms: number;
  scenario: string;
  listCalls: number;
  replayCalls: number;
  /** Ended rooms with replay on and no replays stored before the sync. */
  replayCandidates: number;
  /** get_replay pages those candidates need at the simulator's page size, until a short page. */
  replayPagesNeeded: number;
  /** Rooms that held replays before the sync and were asked again (null: none held any). */
  storedReplayRoomsAskedAgain: number | null;
  storedReplayRooms: number;
  tokenCalls: number;
  wallMs: number;
  /** Sequential WeChat rounds × the calibrated cost of a bare call to the simulator. */
  wechatFloorMs: number;
  /** The same rounds × the configured latency alone: excludes HTTP and simulator time. */
  latencyFloorMs: number;
  sqlStatements: number;
  peakRssMiB: number;
  report: Record<string, number>;
}

interface ReadFigures {
  name: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  /** Responses whose body carries a top-level GraphQL `errors` member (Apollo sends them as 200). */
  graphqlErrors: number;
  bytesPerResponse: number;
}

const results: {
  machine: Record<string, unknown>;
  sync: SyncFigures[];
  reads: ReadFigures[];
  explain: ExplainedQuery[];
  notes: string[];
} = {
  machine: {
    cores: cpus().length,
    cpu: cpus()[0]?.model,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    date: new Date().toISOString(),
    command: `npm run bench${QUICK ? ' -- --quick' : ''}`,
    latencyMs: LATENCY_MS,
  },
  sync: [],
  reads: [],
  explain: [],
  notes: [],
};

const log = (message: string) => console.log(`[bench] ${message}`);

async function gql(
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

async function serverQuestions(connection: mysql.Connection): Promise<number> {
  const [rows] = await connection.query("SHOW GLOBAL STATUS LIKE 'Questions'");
  return Number((rows as Array<{ Value: string }>)[0]?.Value ?? 0);
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

/** Concurrency the service uses, for the latency floor; read from its defaults via env if set. */
const LIST_CONCURRENCY = Number(process.env.SYNC_LIST_CONCURRENCY ?? 8);
const REPLAY_CONCURRENCY = Number(process.env.SYNC_REPLAY_CONCURRENCY ?? 32);

/** What one WeChat call costs on the wire (configured latency plus HTTP), per concurrency slot. */
interface CallCost {
  listMs: number;
  replayMs: number;
}

/**
 * Times bare HTTP calls to the simulator at the service's concurrency, without the service: the
 * part of a sync's wall time that is WeChat's (the network), not ours.
 */
async function calibrate(sim: WechatSimulator, roomIds: number[]): Promise<CallCost> {
  const token = (await (
    await fetch(`${sim.url}/cgi-bin/stable_token`, {
      method: 'POST',
      body: JSON.stringify({
        grant_type: 'client_credential',
        appid: sim.appid,
        secret: sim.secret,
      }),
    })
  ).json()) as { access_token: string };
  const endpoint = `${sim.url}/wxa/business/getliveinfo?access_token=${token.access_token}`;
  const timeCalls = async (bodies: unknown[], concurrency: number) => {
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < bodies.length) {
          const body = bodies[next++];
          await (await fetch(endpoint, { method: 'POST', body: JSON.stringify(body) })).text();
        }
      }),
    );
    return (performance.now() - started) / (bodies.length / concurrency);
  };
  const listBodies = Array.from({ length: LIST_CONCURRENCY * 4 }, (_, index) => ({
    start: (index * 50) % Math.max(50, roomIds.length),
    limit: 100,
  }));
  const replayBodies = Array.from({ length: REPLAY_CONCURRENCY * 4 }, (_, index) => ({
    action: 'get_replay',
    room_id: roomIds[index % roomIds.length],
    start: 0,
    limit: 100,
  }));
  // A first round warms up both ends (JIT, sockets); only the second is kept.
  await timeCalls(listBodies, LIST_CONCURRENCY);
  await timeCalls(replayBodies, REPLAY_CONCURRENCY);
  return {
    listMs: await timeCalls(listBodies, LIST_CONCURRENCY),
    replayMs: await timeCalls(replayBodies, REPLAY_CONCURRENCY),
  };
}

/**
 * Rooms holding replays in the benchmark database, each with when it was last asked for them. A
 * room whose time moves across a sync was asked again by that sync.
 */
async function storedReplayRooms(
  connection: mysql.Connection,
  database: string,
): Promise<Map<number, string | null>> {
  const [rows] = await connection.query(
    `SELECT room_id AS roomId, CAST(replays_checked_at AS CHAR) AS checkedAt
       FROM \`${database}\`.rooms WHERE app_id = ? AND json_length(replays) > 0`,
    [APPID],
  );
  return new Map(
    (rows as Array<{ roomId: number; checkedAt: string | null }>).map((row) => [
      row.roomId,
      row.checkedAt,
    ]),
  );
}

/** get_replay calls a room needs: the service follows pages while they come back full. */
function replayPages(room: SimRoom): number {
  return Array.isArray(room.replays) ? Math.floor(room.replays.length / SIM_REPLAY_PAGE) + 1 : 1;
}

/** WeChat calls that must follow one another: token, first list page, then parallel batches. */
function sequentialRounds(listCalls: number, replayCalls: number, tokenCalls: number) {
  return {
    list:
      tokenCalls +
      Math.min(1, listCalls) +
      Math.ceil(Math.max(0, listCalls - 1) / LIST_CONCURRENCY),
    replay: Math.ceil(replayCalls / REPLAY_CONCURRENCY),
  };
}

async function measureSync(
  scenario: string,
  rooms: number,
  service: ServiceProcess,
  sim: WechatSimulator,
  connection: mysql.Connection,
  database: string,
  cost: CallCost,
): Promise<SyncFigures> {
  // Read before the SQL count starts, so these statements are not counted as the service's.
  const storedBefore = await storedReplayRooms(connection, database);
  const candidates = sim
    .rooms()
    .filter(
      (room) =>
        room.live_status === 103 && room.close_replay === 0 && !storedBefore.has(room.roomid),
    );
  const before = sim.stats();
  await service.resetPeakRss();
  const questionsBefore = await serverQuestions(connection);
  const started = performance.now();
  const { body } = await gql(service.url, SYNC, {}, true);
  const wallMs = Math.round(performance.now() - started);
  const questionsAfter = await serverQuestions(connection);
  const after = sim.stats();
  const storedAfter = await storedReplayRooms(connection, database);
  const listCalls = after.list - before.list;
  const replayCalls = after.replay - before.replay;
  const tokenCalls = after.stableToken - before.stableToken;
  const rounds = sequentialRounds(listCalls, replayCalls, tokenCalls);
  const askedAgain = [...storedBefore].filter(
    ([roomId, checkedAt]) => storedAfter.get(roomId) !== checkedAt,
  ).length;
  const figures: SyncFigures = {
    rooms,
    scenario,
    listCalls,
    replayCalls,
    replayCandidates: candidates.length,
    replayPagesNeeded: candidates.reduce((sum, room) => sum + replayPages(room), 0),
    storedReplayRoomsAskedAgain: storedBefore.size > 0 ? askedAgain : null,
    storedReplayRooms: storedBefore.size,
    tokenCalls,
    wallMs,
    wechatFloorMs: Math.round(cost.listMs * rounds.list + cost.replayMs * rounds.replay),
    latencyFloorMs: LATENCY_MS * (rounds.list + rounds.replay),
    // The second SHOW STATUS counts itself.
    sqlStatements: questionsAfter - questionsBefore - 1,
    peakRssMiB: await service.peakRssMiB(),
    report: body.data!.syncRooms!,
  };
  log(`${rooms} rooms, ${scenario}: ${JSON.stringify(figures)}`);
  return figures;
}

async function load(
  name: string,
  url: string,
  body: string,
  seconds = READ_SECONDS,
): Promise<ReadFigures> {
  const options = {
    url,
    method: 'POST' as const,
    headers: { 'content-type': 'application/json' },
    body,
    connections: CONNECTIONS,
    // Bodies failing it are counted in `mismatches`.
    verifyBody: hasNoGraphqlErrors,
  };
  await autocannon({ ...options, duration: WARMUP_SECONDS });
  const result = await autocannon({ ...options, duration: seconds });
  const figures: ReadFigures = {
    name,
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    graphqlErrors: result.mismatches,
    bytesPerResponse: Math.round(result.throughput.total / Math.max(1, result.requests.total)),
  };
  log(`${name}: ${JSON.stringify(figures)}`);
  return figures;
}

async function benchReads(service: ServiceProcess, sim: WechatSimulator): Promise<void> {
  const page1 = JSON.stringify({
    query: `query Page($page: Int, $pageSize: Int) { rooms(page: $page, pageSize: $pageSize) { totalCount items { ${ROOM_FIELDS} } } }`,
    variables: { page: 1, pageSize: 20 },
  });
  const deepPage = JSON.stringify({
    query: `query Page($page: Int, $pageSize: Int) { rooms(page: $page, pageSize: $pageSize) { totalCount items { ${ROOM_FIELDS} } } }`,
    variables: { page: Math.floor(READ_ROOMS / 20) - 1, pageSize: 20 },
  });
  const byStatus = JSON.stringify({
    query: `query Ended($status: [LiveStatus!]) { rooms(status: $status, pageSize: 20) { totalCount items { ${ROOM_FIELDS} } } }`,
    variables: { status: ['ENDED'] },
  });

  // The ceiling: the same bytes from a bare node:http server in its own process.
  const sample = await fetch(service.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: page1,
  });
  const bytesFile = '/tmp/wxlive-bench-page1.json';
  const sampleBytes = Buffer.from(await sample.arrayBuffer());
  // A ceiling serving an error answer would measure the wrong thing.
  if (!sample.ok || !hasNoGraphqlErrors(sampleBytes))
    throw new Error(`rooms page 1 failed: ${sampleBytes.toString('utf8').slice(0, 500)}`);
  await writeFile(bytesFile, sampleBytes);
  const barePort = await freePort();
  const bare = fork('bench/bare-server.mjs', [bytesFile, String(barePort)], { stdio: 'ignore' });
  await new Promise((resolve) => bare.once('message', resolve));
  try {
    results.reads.push(
      await load('bare node:http, same bytes (ceiling)', `http://127.0.0.1:${barePort}/`, page1),
    );
  } finally {
    bare.kill('SIGTERM');
  }

  results.reads.push(await load('rooms page 1, 20 rooms, all fields', service.url, page1));
  results.reads.push(
    await load(`rooms deep page ${Math.floor(READ_ROOMS / 20) - 1}`, service.url, deepPage),
  );
  results.reads.push(await load('rooms status ENDED', service.url, byStatus));

  // Syncs every few seconds under the same load: a room changes each time, so caches must turn over.
  let stop = false;
  let syncs = 0;
  const syncLoop = (async () => {
    while (!stop) {
      const target = sim.rooms()[syncs % 50];
      if (target) sim.updateRoom(target.roomid, { name: `changed ${syncs}` });
      await gql(service.url, SYNC, {}, true);
      syncs += 1;
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    }
  })();
  results.reads.push(await load('rooms page 1 while syncs run every 3 s', service.url, page1));
  stop = true;
  await syncLoop;
  results.notes.push(`${syncs} syncs ran during the last read load`);
}

function table(): string {
  const lines: string[] = [];
  lines.push(
    `Machine: ${results.machine.cores} cores (${String(results.machine.cpu)}), Node ${process.version}; WeChat latency ${LATENCY_MS} ms per call.`,
  );
  lines.push(`Command: ${String(results.machine.command)}`);
  for (const note of results.notes) lines.push(`Note: ${note}.`);
  lines.push(
    `Note: "replay candidates" are ended rooms with replay on and no replays stored before the sync; "pages needed" is what they take at ${SIM_REPLAY_PAGE} segments per get_replay page. Two WeChat floors: "calibrated" is the sequential rounds × the timed cost of a bare call to the simulator (which includes HTTP and simulator time, and so may absorb some of the service's own); "latency only" is the same rounds × ${LATENCY_MS} ms. "beyond" is the wall time minus each floor.`,
  );
  lines.push('');
  lines.push(
    '| rooms | sync | list | replay | replay candidates | replay pages needed | token | wall ms | WeChat floor ms, calibrated | beyond, calibrated | WeChat floor ms, latency only | beyond, latency only | SQL stmts | peak RSS MiB |',
  );
  lines.push('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of results.sync) {
    lines.push(
      `| ${s.rooms} | ${s.scenario} | ${s.listCalls} | ${s.replayCalls} | ${s.replayCandidates} | ${s.replayPagesNeeded} | ${s.tokenCalls} | ${s.wallMs} | ${s.wechatFloorMs} | ${s.wallMs - s.wechatFloorMs} | ${s.latencyFloorMs} | ${s.wallMs - s.latencyFloorMs} | ${s.sqlStatements} | ${s.peakRssMiB} |`,
    );
  }
  lines.push('');
  lines.push(
    `| read load (${CONNECTIONS} connections, ${READ_SECONDS} s, ${READ_ROOMS} rooms) | req/s | p50 ms | p99 ms | errors | non-2xx | GraphQL errors | bytes |`,
  );
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results.reads) {
    lines.push(
      `| ${r.name} | ${r.requestsPerSecond} | ${r.p50Ms} | ${r.p99Ms} | ${r.errors} | ${r.non2xx} | ${r.graphqlErrors} | ${r.bytesPerResponse} |`,
    );
  }
  if (results.explain.length > 0) {
    lines.push('');
    lines.push(
      "EXPLAIN of every SELECT and UPDATE the API and the sync send, captured from drizzle and labelled by the repository function that sent it (writes run in a transaction rolled back; INSERTs have no WHERE and are left out). An index is read when every plan row has a key and a type other than ALL or index (full scans); the sync_runs statements are explained again over a month of added runs, rolled back, and judged by that plan (on a few rows a scan is the optimizer's right choice):",
    );
    for (const entry of results.explain) {
      const rows = entry.plan
        .map(
          (row) =>
            `type ${String(row.type)}, key ${String(row.key)}${row.key ? '' : ` (possible: ${String(row.possible_keys)})`}, rows ${String(row.rows)}${row.Extra ? `, ${String(row.Extra)}` : ''}`,
        )
        .join('; ');
      const note = !entry.hasWhere
        ? ' (no WHERE)'
        : entry.judgedOverMoreRows
          ? ' (judged over a month of runs, below)'
          : '';
      lines.push(`- ${entry.label}: ${rows}${note}`);
    }
  }
  return lines.join('\n');
}

function targets(): string[] {
  const verdict = (ok: boolean) => (ok ? 'MET' : 'MISSED');
  const lines: string[] = [];
  for (const s of results.sync) {
    const pages = Math.ceil(s.rooms / 50);
    const where = `(${s.rooms} rooms, ${s.scenario})`;
    lines.push(
      `${verdict(s.listCalls === pages)} list calls ${s.listCalls} = ceil(${s.rooms}/50) = ${pages} ${where}`,
    );
    lines.push(
      `${verdict(s.replayCalls <= s.replayPagesNeeded)} replay calls ${s.replayCalls} ≤ ${s.replayPagesNeeded} pages needed by the ${s.replayCandidates} replay candidates ${where}`,
    );
    if (s.storedReplayRoomsAskedAgain !== null)
      lines.push(
        `${verdict(s.storedReplayRoomsAskedAgain === 0)} rooms that already had replays asked again: ${s.storedReplayRoomsAskedAgain} of ${s.storedReplayRooms} ${where}`,
      );
    lines.push(`${verdict(s.tokenCalls <= 1)} token calls ${s.tokenCalls} ≤ 1 ${where}`);
    lines.push(
      `${verdict(s.sqlStatements <= 5 * pages)} SQL statements ${s.sqlStatements} ≤ 5 per page (${5 * pages}) ${where}`,
    );
    if (s.rooms === 10_000) {
      const calibrated = s.wallMs - s.wechatFloorMs;
      const latencyOnly = s.wallMs - s.latencyFloorMs;
      lines.push(
        `${verdict(calibrated < 2_000)} wall time beyond WeChat, calibrated floor (${s.wechatFloorMs} ms): ${calibrated} ms < 2000 ms ${where}`,
      );
      lines.push(
        `${verdict(latencyOnly < 2_000)} wall time beyond WeChat, latency-only floor (${s.latencyFloorMs} ms = rounds × ${LATENCY_MS} ms): ${latencyOnly} ms < 2000 ms ${where}`,
      );
    }
    if (s.rooms === 50_000)
      lines.push(`${verdict(s.peakRssMiB < 512)} peak RSS ${s.peakRssMiB} MiB < 512 MiB ${where}`);
    if (s.scenario.includes('ended with replays'))
      lines.push(
        `${verdict(s.wallMs < REPLAY_HEAVY_TARGET_MS)} first sync of ${s.rooms} rooms, ${s.scenario.replace(/^first, /, '')}, at ${LATENCY_MS} ms per call: ${s.wallMs} ms < ${REPLAY_HEAVY_TARGET_MS} ms ("a few seconds, not minutes")`,
      );
  }
  const ceiling = results.reads.find((r) => r.name.startsWith('bare'));
  const page1 = results.reads.find((r) => r.name.startsWith('rooms page 1, 20'));
  if (ceiling && page1) {
    const share = page1.requestsPerSecond / Math.max(1, ceiling.requestsPerSecond);
    lines.push(
      `${verdict(share >= 0.4)} rooms page 1 at ${(share * 100).toFixed(0)}% of the bare node:http ceiling (target ≥ 40%)`,
    );
    lines.push(`${verdict(page1.p99Ms < 25)} rooms page 1 p99 ${page1.p99Ms} ms < 25 ms`);
  }
  for (const r of results.reads)
    lines.push(
      `${verdict(r.errors === 0 && r.non2xx === 0 && r.graphqlErrors === 0)} ${r.name}: ${r.errors} errors, ${r.non2xx} non-2xx, ${r.graphqlErrors} GraphQL errors`,
    );
  if (results.explain.length > 0) {
    const filtered = results.explain.filter((entry) => entry.hasWhere && !entry.judgedOverMoreRows);
    const unindexed = filtered.filter((entry) => !entry.usesIndex);
    lines.push(
      `${verdict(unindexed.length === 0)} statements with a WHERE that read an index: ${filtered.length - unindexed.length} of ${filtered.length}${unindexed.length > 0 ? ` (not: ${unindexed.map((entry) => `${entry.label}, ${entry.plan.map((row) => `type ${String(row.type)} over ${String(row.rows)} rows`).join('; ')}`).join('; ')})` : ''}`,
    );
  }
  return lines;
}

interface Stack {
  service: ServiceProcess;
  sim: WechatSimulator;
  databaseUrl: string;
  database: string;
  cost: CallCost;
}

/** A simulator with these rooms, a fresh database and Redis, and the service in front of them. */
async function withStack(
  name: string,
  rooms: SimRoom[],
  body: (stack: Stack) => Promise<void>,
): Promise<void> {
  const sim = await startWechatSimulator({
    appid: APPID,
    rooms,
    latencyMs: LATENCY_MS,
    dailyQuota: 10_000_000,
  });
  const databaseUrl = await resetStorage();
  const service = await startService(serviceEnv(sim, databaseUrl));
  try {
    const cost = await calibrate(
      sim,
      rooms.map((room) => room.roomid),
    );
    results.notes.push(
      `${name}: a bare WeChat call costs ${cost.listMs.toFixed(1)} ms (list) and ${cost.replayMs.toFixed(1)} ms (replay) per concurrency slot`,
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

async function main(): Promise<void> {
  log('building the service (npm run build)');
  execFileSync('npm', ['run', '-s', 'build'], { stdio: 'inherit' });
  const admin = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });

  for (const size of SIZES) {
    const rooms = generateRooms({ count: size, seed: 42 });
    await withStack(
      `${size} rooms`,
      rooms,
      async ({ service, sim, databaseUrl, database, cost }) => {
        log(`${size} rooms: first sync`);
        const measure = (scenario: string) =>
          measureSync(scenario, size, service, sim, admin, database, cost);
        results.sync.push(await measure('first'));
        results.sync.push(await measure('steady'));
        for (let index = 0; index < size; index += 10) {
          const room = rooms[index]!;
          sim.updateRoom(room.roomid, { name: `${room.name} (更新)` });
        }
        results.sync.push(await measure('changed 10%'));
        if (size === READ_ROOMS) {
          await benchReads(service, sim);
          results.explain = await explainEveryQuery(databaseUrl, APPID, {
            any: rooms[0]!.roomid,
            other: rooms[1]!.roomid,
            deepOffset: (Math.floor(READ_ROOMS / 20) - 2) * 20,
          });
        }
      },
    );
  }

  const heavy = mostlyEndedWithReplays(REPLAY_HEAVY_ROOMS, 42);
  const share = Math.round((100 * heavy.filter(endedWithReplays).length) / heavy.length);
  await withStack(
    `${REPLAY_HEAVY_ROOMS} rooms, ${share}% ended with replays`,
    heavy,
    async ({ service, sim, database, cost }) => {
      log(`${REPLAY_HEAVY_ROOMS} rooms, ${share}% ended with replays: first sync`);
      results.sync.push(
        await measureSync(
          `first, ${share}% ended with replays`,
          REPLAY_HEAVY_ROOMS,
          service,
          sim,
          admin,
          database,
          cost,
        ),
      );
    },
  );
  await admin.end();

  const markdown = `${table()}\n\nTargets:\n${targets()
    .map((line) => `- ${line}`)
    .join('\n')}`;
  console.log(`\n${markdown}\n`);
  // A quick pass never replaces the committed figures of a full run.
  const resultsFile = QUICK ? 'bench/results.quick.json' : 'bench/results.json';
  await writeFile(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  log(`wrote ${resultsFile}`);
  if (!QUICK && !flags['no-readme']) {
    await updateReadmeFigures('bench', markdown);
    log('updated the figures in README.md');
  }
}

await main();
