import { fork } from 'node:child_process';
import { writeFile } from 'node:fs/promises';

import autocannon from 'autocannon';

import { freePort } from '../../test/support/processes.js';
import { hasNoGraphqlErrors } from '../graphql-errors.js';
import type { ReadFigures } from '../results.js';
import { log, ROOM_FIELDS, SYNC, type BenchSettings } from '../settings.js';
import { gql, type BenchRun, type Stack } from '../stack.js';

async function load(
  settings: BenchSettings,
  target: { name: string; url: string; body: string },
): Promise<ReadFigures> {
  const { name, url, body } = target;
  const options = {
    url,
    method: 'POST' as const,
    headers: { 'content-type': 'application/json' },
    body,
    connections: settings.connections,
    // Bodies failing it are counted in `mismatches`.
    verifyBody: hasNoGraphqlErrors,
  };
  await autocannon({ ...options, duration: settings.warmupSeconds });
  const result = await autocannon({ ...options, duration: settings.readSeconds });
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

function readBodies(readRooms: number) {
  const deepPageNumber = Math.floor(readRooms / 20) - 1;
  return {
    page1: JSON.stringify({
      query: `query Page($page: Int, $pageSize: Int) { rooms(page: $page, pageSize: $pageSize) { totalCount items { ${ROOM_FIELDS} } } }`,
      variables: { page: 1, pageSize: 20 },
    }),
    deepPageNumber,
    deepPage: JSON.stringify({
      query: `query Page($page: Int, $pageSize: Int) { rooms(page: $page, pageSize: $pageSize) { totalCount items { ${ROOM_FIELDS} } } }`,
      variables: { page: deepPageNumber, pageSize: 20 },
    }),
    byStatus: JSON.stringify({
      query: `query Ended($status: [LiveStatus!]) { rooms(status: $status, pageSize: 20) { totalCount items { ${ROOM_FIELDS} } } }`,
      variables: { status: ['ENDED'] },
    }),
  };
}

/** The ceiling: the same bytes from a bare node:http server in its own process. */
async function loadCeiling(run: BenchRun, stack: Stack, page1: string): Promise<ReadFigures> {
  const sample = await fetch(stack.service.url, {
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
    const name = 'bare node:http, same bytes (ceiling)';
    return await load(run.settings, { name, url: `http://127.0.0.1:${barePort}/`, body: page1 });
  } finally {
    bare.kill('SIGTERM');
  }
}

/** Syncs every few seconds under the same load: a room changes each time, so caches must turn over. */
async function loadWhileSyncing(run: BenchRun, stack: Stack, page1: string): Promise<void> {
  const { service, sim } = stack;
  // An object, so the loop reads the flag set after it started.
  const state = { stopped: false };
  let syncs = 0;
  const syncLoop = (async () => {
    while (!state.stopped) {
      const target = sim.rooms()[syncs % 50];
      if (target) sim.updateRoom(target.roomid, { name: `changed ${syncs}` });
      await gql(service.url, SYNC, {}, true);
      syncs += 1;
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    }
  })();
  const name = 'rooms page 1 while syncs run every 3 s';
  run.results.reads.push(await load(run.settings, { name, url: service.url, body: page1 }));
  state.stopped = true;
  await syncLoop;
  run.results.notes.push(`${syncs} syncs ran during the last read load`);
}

/**
 * `rooms` under autocannon load on the stack's synced rooms: the bare ceiling first, then page 1,
 * a deep page, a status filter, and page 1 again while syncs run.
 */
export async function benchReads(run: BenchRun, stack: Stack): Promise<void> {
  const { page1, deepPage, deepPageNumber, byStatus } = readBodies(run.settings.readRooms);
  const url = stack.service.url;
  run.results.reads.push(await loadCeiling(run, stack, page1));
  run.results.reads.push(
    await load(run.settings, { name: 'rooms page 1, 20 rooms, all fields', url, body: page1 }),
  );
  run.results.reads.push(
    await load(run.settings, { name: `rooms deep page ${deepPageNumber}`, url, body: deepPage }),
  );
  run.results.reads.push(
    await load(run.settings, { name: 'rooms status ENDED', url, body: byStatus }),
  );
  await loadWhileSyncing(run, stack, page1);
}
