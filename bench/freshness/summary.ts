import type { DayEvent } from '../../src/wechat-sim/sim.day.js';
import type { DayOutcome } from './virtual-day.js';

/** Lags of one class of change, in seconds, and how many were never seen. */
export interface LagFigures {
  count: number;
  unseen: number;
  p50: number | null;
  p95: number | null;
  max: number | null;
}

export interface DaySummary {
  strategy: string;
  setting: string;
  plannedStarts: LagFigures;
  plannedEnds: LagFigures;
  unplanned: LagFigures;
  newRooms: LagFigures;
  replays: LagFigures;
  calls: number;
  quotaRejections: number;
  /** China time (HH:MM) when the day's quota ran out for the strategy, or null. */
  quotaOutAt: string | null;
  realSeconds: number;
}

/** Linear interpolation between closest ranks (the common "type 7" percentile). */
function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = (sorted.length - 1) * p;
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

function lags(outcome: DayOutcome, keep: (event: DayEvent) => boolean): LagFigures {
  const chosen = outcome.observations.filter((observation) => keep(observation.event));
  const seen = chosen
    .filter((observation) => observation.seenAt !== null)
    .map((observation) => (observation.seenAt! - observation.event.at) / 1000)
    .sort((a, b) => a - b);
  return {
    count: chosen.length,
    unseen: chosen.length - seen.length,
    p50: percentile(seen, 0.5),
    p95: percentile(seen, 0.95),
    max: seen.length > 0 ? seen[seen.length - 1]! : null,
  };
}

const chinaClock = (at: number) => new Date(at + 8 * 3_600_000).toISOString().slice(11, 16);

export function summarise(outcome: DayOutcome): DaySummary {
  return {
    strategy: outcome.strategy,
    setting: outcome.setting,
    plannedStarts: lags(outcome, (event) => event.kind === 'start' && event.class === 'planned'),
    plannedEnds: lags(outcome, (event) => event.kind === 'end' && event.class === 'planned'),
    unplanned: lags(outcome, (event) => event.class === 'unplanned'),
    newRooms: lags(outcome, (event) => event.kind === 'create'),
    replays: lags(outcome, (event) => event.kind === 'replays'),
    calls: outcome.calls,
    quotaRejections: outcome.quotaRejections,
    quotaOutAt: outcome.quotaOutAt === null ? null : chinaClock(outcome.quotaOutAt),
    realSeconds: Math.round(outcome.realSeconds),
  };
}

const seconds = (value: number | null) => (value === null ? '—' : `${Math.round(value)}`);
const lagCell = (figures: LagFigures) =>
  `${seconds(figures.p50)} / ${seconds(figures.p95)} / ${seconds(figures.max)}` +
  (figures.unseen > 0 ? ` (${figures.unseen} of ${figures.count} unseen)` : '');

/** A Markdown table: one row per strategy and quota setting. */
export function summaryTable(summaries: readonly DaySummary[]): string {
  const header = [
    '| quota | strategy | planned starts p50 / p95 / max (s) | planned ends | unplanned | new rooms appear | replays after ready | calls | 45009 | quota ran out |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  const rows = summaries.map(
    (summary) =>
      `| ${summary.setting} | ${summary.strategy} | ${lagCell(summary.plannedStarts)} | ${lagCell(summary.plannedEnds)} | ${lagCell(summary.unplanned)} | ${lagCell(summary.newRooms)} | ${lagCell(summary.replays)} | ${summary.calls} | ${summary.quotaRejections} | ${summary.quotaOutAt ?? '—'} |`,
  );
  return [...header, ...rows].join('\n');
}
