import type { BenchResults, SyncFigures } from './results.js';
import { REPLAY_HEAVY_TARGET_MS, SIM_REPLAY_PAGE, type BenchSettings } from './settings.js';

const verdict = (ok: boolean) => (ok ? 'MET' : 'MISSED');

function header(results: BenchResults, settings: BenchSettings): string[] {
  return [
    `Machine: ${results.machine.cores} cores (${String(results.machine.cpu)}), Node ${process.version}; WeChat latency ${settings.latencyMs} ms per call.`,
    `Command: ${String(results.machine.command)}`,
    ...results.notes.map((note) => `Note: ${note}.`),
    `Note: "replay candidates" are ended rooms with replay on and no replays stored before the sync; "pages needed" is what they take at ${SIM_REPLAY_PAGE} segments per get_replay page. Two WeChat floors: "calibrated" is the sequential rounds × the timed cost of a bare call to the simulator (which includes HTTP and simulator time, and so may absorb some of the service's own); "latency only" is the same rounds × ${settings.latencyMs} ms. "beyond" is the wall time minus each floor.`,
  ];
}

function syncTable(results: BenchResults): string[] {
  return [
    '| rooms | sync | list | replay | replay candidates | replay pages needed | token | wall ms | WeChat floor ms, calibrated | beyond, calibrated | WeChat floor ms, latency only | beyond, latency only | SQL stmts | peak RSS MiB |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...results.sync.map(
      (s) =>
        `| ${s.rooms} | ${s.scenario} | ${s.listCalls} | ${s.replayCalls} | ${s.replayCandidates} | ${s.replayPagesNeeded} | ${s.tokenCalls} | ${s.wallMs} | ${s.wechatFloorMs} | ${s.wallMs - s.wechatFloorMs} | ${s.latencyFloorMs} | ${s.wallMs - s.latencyFloorMs} | ${s.sqlStatements} | ${s.peakRssMiB} |`,
    ),
  ];
}

function readTable(results: BenchResults, settings: BenchSettings): string[] {
  return [
    `| read load (${settings.connections} connections, ${settings.readSeconds} s, ${settings.readRooms} rooms) | req/s | p50 ms | p99 ms | errors | non-2xx | GraphQL errors | bytes |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...results.reads.map(
      (r) =>
        `| ${r.name} | ${r.requestsPerSecond} | ${r.p50Ms} | ${r.p99Ms} | ${r.errors} | ${r.non2xx} | ${r.graphqlErrors} | ${r.bytesPerResponse} |`,
    ),
  ];
}

function explainList(results: BenchResults): string[] {
  if (results.explain.length === 0) return [];
  const lines = [
    '',
    "EXPLAIN of every SELECT and UPDATE the API and the sync send, captured from drizzle and labelled by the repository function that sent it (writes run in a transaction rolled back; INSERTs have no WHERE and are left out). An index is read when every plan row has a key and a type other than ALL or index (full scans); the sync_runs statements are explained again over a month of added runs, rolled back, and judged by that plan (on a few rows a scan is the optimizer's right choice):",
  ];
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
  return lines;
}

/** The machine, the notes, the sync and read tables and the EXPLAINs, as Markdown. */
export function table(results: BenchResults, settings: BenchSettings): string {
  return [
    ...header(results, settings),
    '',
    ...syncTable(results),
    '',
    ...readTable(results, settings),
    ...explainList(results),
  ].join('\n');
}

function syncTargets(s: SyncFigures, settings: BenchSettings): string[] {
  const pages = Math.ceil(s.rooms / 50);
  const where = `(${s.rooms} rooms, ${s.scenario})`;
  const lines = [
    `${verdict(s.listCalls === pages)} list calls ${s.listCalls} = ceil(${s.rooms}/50) = ${pages} ${where}`,
    `${verdict(s.replayCalls <= s.replayPagesNeeded)} replay calls ${s.replayCalls} ≤ ${s.replayPagesNeeded} pages needed by the ${s.replayCandidates} replay candidates ${where}`,
  ];
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
      `${verdict(latencyOnly < 2_000)} wall time beyond WeChat, latency-only floor (${s.latencyFloorMs} ms = rounds × ${settings.latencyMs} ms): ${latencyOnly} ms < 2000 ms ${where}`,
    );
  }
  if (s.rooms === 50_000)
    lines.push(`${verdict(s.peakRssMiB < 512)} peak RSS ${s.peakRssMiB} MiB < 512 MiB ${where}`);
  if (s.scenario.includes('ended with replays'))
    lines.push(
      `${verdict(s.wallMs < REPLAY_HEAVY_TARGET_MS)} first sync of ${s.rooms} rooms, ${s.scenario.replace(/^first, /, '')}, at ${settings.latencyMs} ms per call: ${s.wallMs} ms < ${REPLAY_HEAVY_TARGET_MS} ms ("a few seconds, not minutes")`,
    );
  return lines;
}

function readTargets(results: BenchResults): string[] {
  const lines: string[] = [];
  const ceiling = results.reads.find((r) => r.name.startsWith('bare'));
  const page1 = results.reads.find((r) => r.name.startsWith('rooms page 1, 20'));
  if (ceiling && page1) {
    const share = page1.requestsPerSecond / Math.max(1, ceiling.requestsPerSecond);
    lines.push(
      `${verdict(share >= 0.4)} rooms page 1 at ${(share * 100).toFixed(0)}% of the bare node:http ceiling (target ≥ 40%)`,
      `${verdict(page1.p99Ms < 25)} rooms page 1 p99 ${page1.p99Ms} ms < 25 ms`,
    );
  }
  for (const r of results.reads)
    lines.push(
      `${verdict(r.errors === 0 && r.non2xx === 0 && r.graphqlErrors === 0)} ${r.name}: ${r.errors} errors, ${r.non2xx} non-2xx, ${r.graphqlErrors} GraphQL errors`,
    );
  return lines;
}

function explainTarget(results: BenchResults): string[] {
  if (results.explain.length === 0) return [];
  const filtered = results.explain.filter((entry) => entry.hasWhere && !entry.judgedOverMoreRows);
  const unindexed = filtered.filter((entry) => !entry.usesIndex);
  const not =
    unindexed.length > 0
      ? ` (not: ${unindexed.map((entry) => `${entry.label}, ${entry.plan.map((row) => `type ${String(row.type)} over ${String(row.rows)} rows`).join('; ')}`).join('; ')})`
      : '';
  return [
    `${verdict(unindexed.length === 0)} statements with a WHERE that read an index: ${filtered.length - unindexed.length} of ${filtered.length}${not}`,
  ];
}

/** Each target the issue set, MET or MISSED, with the figure it was judged on. */
export function targets(results: BenchResults, settings: BenchSettings): string[] {
  return [
    ...results.sync.flatMap((s) => syncTargets(s, settings)),
    ...readTargets(results),
    ...explainTarget(results),
  ];
}

/** The figures block: the table, then the targets as a list. */
export function figuresMarkdown(results: BenchResults, settings: BenchSettings): string {
  return `${table(results, settings)}\n\nTargets:\n${targets(results, settings)
    .map((line) => `- ${line}`)
    .join('\n')}`;
}
