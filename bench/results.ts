import { writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';

import type { ExplainedQuery } from './explain.js';
import type { BenchSettings } from './settings.js';

export interface SyncFigures {
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

export interface ReadFigures {
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

/** What a run measured, in the order the scenarios ran; written as bench/results.json. */
export interface BenchResults {
  machine: Record<string, unknown>;
  sync: SyncFigures[];
  reads: ReadFigures[];
  explain: ExplainedQuery[];
  notes: string[];
}

export function newResults(settings: BenchSettings): BenchResults {
  return {
    machine: {
      cores: cpus().length,
      cpu: cpus()[0]?.model,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      date: new Date().toISOString(),
      command: `npm run bench${settings.quick ? ' -- --quick' : ''}`,
      latencyMs: settings.latencyMs,
    },
    sync: [],
    reads: [],
    explain: [],
    notes: [],
  };
}

/**
 * Writes the results with `_generated` as the first key: JSON has no comments, and the file must
 * say in its first lines that it is generated. A quick pass writes its own, uncommitted file and
 * never replaces the committed figures of a full run.
 */
export async function writeResults(results: BenchResults, quick: boolean): Promise<string> {
  const file = quick ? 'bench/results.quick.json' : 'bench/results.json';
  const generated = `by npm run bench${quick ? ' -- --quick' : ''} (bench/bench.ts); do not edit`;
  await writeFile(file, `${JSON.stringify({ _generated: generated, ...results }, null, 2)}\n`);
  return file;
}
