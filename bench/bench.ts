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
 * Prints a table, writes bench/results.json, and refreshes the figures in docs/benchmarks.md.
 * `--quick` is a one-minute pass with smaller sizes and shorter read runs.
 * The scenarios live in bench/scenarios/, one file each; this file runs them in order.
 */
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';

import mysql from 'mysql2/promise';

import { generateRooms } from '../src/wechat-sim/sim.rooms.js';
import { updateDocsFigures } from './docs-figures.js';
import { figuresMarkdown } from './figures.js';
import { newResults, writeResults } from './results.js';
import { explainQueries } from './scenarios/explain-queries.js';
import { benchReads } from './scenarios/reads.js';
import { replayHeavySync } from './scenarios/replay-heavy.js';
import { syncAtSize } from './scenarios/sync-at-size.js';
import { benchSettings, log } from './settings.js';
import { withStack, type BenchRun } from './stack.js';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    latency: { type: 'string', default: '20' },
    'no-docs': { type: 'boolean', default: false },
    // The flag's name from when the figures lived in the README.
    'no-readme': { type: 'boolean', default: false },
  },
});

/** Each size on a stack of its own; the read size also takes the read load and the EXPLAINs. */
async function runScenarios(run: BenchRun): Promise<void> {
  for (const size of run.settings.sizes) {
    const rooms = generateRooms({ count: size, seed: 42 });
    await withStack(run, { name: `${size} rooms`, rooms }, async (stack) => {
      await syncAtSize(run, stack, rooms);
      if (size === run.settings.readRooms) {
        await benchReads(run, stack);
        await explainQueries(run, stack, rooms);
      }
    });
  }
  await replayHeavySync(run);
}

async function main(): Promise<void> {
  const settings = benchSettings(flags.quick, Number(flags.latency));
  log('building the service (npm run build)');
  execFileSync('npm', ['run', '-s', 'build'], { stdio: 'inherit' });
  const admin = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
  const run: BenchRun = { settings, results: newResults(settings), admin };
  await runScenarios(run);
  await admin.end();

  const markdown = figuresMarkdown(run.results, settings);
  console.log(`\n${markdown}\n`);
  log(`wrote ${await writeResults(run.results, settings.quick)}`);
  // A quick pass never replaces the committed figures of a full run.
  if (!settings.quick && !flags['no-docs'] && !flags['no-readme']) {
    const generatedBy = 'npm run bench (bench/bench.ts)';
    if (await updateDocsFigures({ name: 'bench', generatedBy, markdown }))
      log('updated the figures in docs/benchmarks.md');
    else log('docs/benchmarks.md has no bench:start/bench:end markers; figures not written there');
  }
}

await main();
