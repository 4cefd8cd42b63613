import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

import { format, resolveConfig } from 'prettier';

import { updateDocsFigures } from './docs-figures.js';
import { summarise, summaryTable, type DaySummary } from './freshness/summary.js';
import { QUOTA_SETTINGS, playDay, type StrategyName } from './freshness/virtual-day.js';

/**
 * `npm run bench:freshness`: a whole China day in virtual time, once per quota setting (tight: 500
 * with 100 spent elsewhere; roomy: 10,000) and strategy (the adaptive planner, a 10-minute and a
 * 1-minute cron). Prints status lags, calls and 45009s; writes docs/freshness.md's figures and
 * bench/freshness-results.json. `--seed N` scripts another day; `--only adaptive` runs one strategy,
 * `--quota tight` one setting (neither writes figures).
 */
const { values: flags } = parseArgs({
  options: {
    seed: { type: 'string', default: '7' },
    only: { type: 'string' },
    quota: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
  },
});
const seed = Number(flags.seed);
/** The scripted day: 2026-12-01 in China (any instant of it). */
const DAY = Date.parse('2026-12-01T04:00:00Z');
const STRATEGIES: StrategyName[] = ['adaptive', 'cron-10', 'cron-1'];
const strategies = flags.only ? STRATEGIES.filter((name) => name === flags.only) : STRATEGIES;
const RESULTS_FILE = 'bench/freshness-results.json';
const COMMAND = `npm run bench:freshness -- --seed ${seed}`;

const summaries: DaySummary[] = [];
const settings = flags.quota
  ? QUOTA_SETTINGS.filter((setting) => setting.name === flags.quota)
  : QUOTA_SETTINGS;
for (const setting of settings) {
  for (const strategy of strategies) {
    const outcome = await playDay({ strategy, setting, seed, day: DAY });
    const summary = summarise(outcome);
    summaries.push(summary);
    console.log(
      `[bench:freshness] ${setting.name} ${strategy}: ${summary.calls} calls, ${summary.quotaRejections} × 45009, ${summary.realSeconds} s real`,
    );
  }
}
const table = summaryTable(summaries);
console.log(`\nseed ${seed}, day 2026-12-01 (China)\n\n${table}\n`);

if (!flags['no-write'] && strategies.length === STRATEGIES.length && settings.length === 2) {
  const json = JSON.stringify({
    _generated: `by ${COMMAND} (bench/freshness.ts)`,
    seed,
    summaries,
  });
  const options = (await resolveConfig(RESULTS_FILE)) ?? {};
  await writeFile(RESULTS_FILE, await format(json, { ...options, filepath: RESULTS_FILE }));
  const written = await updateDocsFigures({
    file: 'docs/freshness.md',
    name: 'freshness-figures',
    generatedBy: `${COMMAND} (bench/freshness.ts)`,
    markdown: `Seed ${seed}, the scripted day 2026-12-01 (China). Lags in seconds from the change at WeChat to MySQL (what the API serves; its response cache adds at most 5 s).\n\n${table}\n`,
  });
  console.log(
    written ? 'figures written to docs/freshness.md' : 'docs/freshness.md has no markers',
  );
}
