import type { RoomRow, SyncRunRow } from '../db/schema.js';
import type { FreshnessState } from '../freshness/freshness.types.js';
import { liveStatusFromCode } from '../rooms/room.mapper.js';
import type { SyncReport } from '../sync/sync.service.js';
import type { QuotaSnapshot } from '../quota/quota.service.js';

/** `850 ms`, `1.9 s`, `2 min 05 s`: short enough for a table column. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
}

export function formatSyncSummary(report: SyncReport): string {
  const deferred = report.replaysDeferred > 0 ? ` (${report.replaysDeferred} rooms deferred)` : '';
  return (
    `sync run ${report.runId} succeeded in ${formatDuration(report.durationMs)}: ` +
    `${report.roomsAdded} added, ${report.roomsUpdated} updated, ${report.roomsArchived} archived, ` +
    `${report.roomsRestored} restored; ${report.replaysFetched} replay segments${deferred}; ` +
    `${report.apiCalls} WeChat calls (${report.listCalls} list, ${report.replayCalls} replay, ${report.tokenCalls} token)`
  );
}

export function formatQuota(snapshot: QuotaSnapshot): string {
  const spent = snapshot.exhausted ? ' (exhausted until the next China day)' : '';
  return `${snapshot.day} (China day): ${snapshot.used} used of ${snapshot.limit}, ${snapshot.remaining} remaining${spent}`;
}

export function formatPinned(room: { roomId: number; name: string; pinned: boolean }): string {
  return `room ${room.roomId} ${room.pinned ? 'pinned' : 'unpinned'} (${room.name})`;
}

export function formatReplays(room: Pick<RoomRow, 'roomId' | 'name' | 'replays'>): string[] {
  if (room.replays.length === 0) {
    return [`room ${room.roomId} (${room.name}): no replays (WeChat has none for it)`];
  }
  return [
    `room ${room.roomId} (${room.name}): ${room.replays.length} replay segment${room.replays.length === 1 ? '' : 's'}`,
    ...room.replays.map(
      (replay) =>
        `  ${replay.createTime}  expires ${replay.expireTime ?? 'unknown'}  ${replay.mediaUrl}`,
    ),
  ];
}

const RUN_COLUMNS = [
  'ID',
  'TRIGGER',
  'KIND',
  'OUTCOME',
  'STARTED (UTC)',
  'TOOK',
  'ADDED',
  'UPDATED',
  'ARCHIVED',
  'RESTORED',
  'REPLAYS',
  'CALLS L/R/T',
  'ERROR',
] as const;
/** Columns holding counts, right-aligned so digits line up. */
const NUMERIC_COLUMNS = new Set([0, 6, 7, 8, 9, 10]);
const MAX_ERROR_MESSAGE = 60;

/** The latest sync runs as an aligned table, newest first (as listed). */
export function formatSyncRuns(runs: readonly SyncRunRow[]): string[] {
  const rows = runs.map((run) => [
    String(run.id),
    run.trigger,
    run.kind,
    run.outcome,
    run.startedAt.toISOString().slice(0, 19).replace('T', ' '),
    run.finishedAt ? formatDuration(run.finishedAt.getTime() - run.startedAt.getTime()) : '-',
    String(run.roomsAdded),
    String(run.roomsUpdated),
    String(run.roomsArchived),
    String(run.roomsRestored),
    String(run.replaysFetched),
    `${run.listCalls}/${run.replayCalls}/${run.tokenCalls}`,
    formatRunError(run),
  ]);
  const table = [[...RUN_COLUMNS], ...rows];
  const widths = RUN_COLUMNS.map((_, column) =>
    Math.max(...table.map((row) => row[column]!.length)),
  );
  return table.map((row) =>
    row
      .map((cell, column) =>
        column === row.length - 1
          ? cell
          : NUMERIC_COLUMNS.has(column)
            ? cell.padStart(widths[column]!)
            : cell.padEnd(widths[column]!),
      )
      .join('  ')
      .trimEnd(),
  );
}

function formatRunError(run: SyncRunRow): string {
  if (!run.errorCode) return '';
  const errcode = run.wechatErrcode === null ? '' : ` (errcode ${run.wechatErrcode})`;
  const message = run.errorMessage ?? '';
  const short =
    message.length > MAX_ERROR_MESSAGE ? `${message.slice(0, MAX_ERROR_MESSAGE - 1)}…` : message;
  return `${run.errorCode}${errcode}${short ? `: ${short}` : ''}`;
}

const LEVEL_NAMES: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};
/** pino's bookkeeping fields: noise on a terminal. */
const LOG_FIELDS_SHOWN_ELSEWHERE = new Set([
  'level',
  'time',
  'pid',
  'hostname',
  'msg',
  'component',
]);

/**
 * One pino JSON line as a short human line for stderr, e.g.
 * `[warn] sync: could not fetch replays; will ask again later roomId=5 err="…"`, with its level.
 * The logger has already redacted secrets and tokens by the time a line gets here.
 */
export function formatLogLine(json: string): { level: number; text: string } {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return { level: 30, text: json.endsWith('\n') ? json : `${json}\n` };
  }
  const level = Number(entry.level);
  const component = typeof entry.component === 'string' ? `${entry.component}: ` : '';
  const fields = Object.entries(entry)
    .filter(([key]) => !LOG_FIELDS_SHOWN_ELSEWHERE.has(key))
    .map(([key, value]) => `${key}=${JSON.stringify(withoutStack(value))}`);
  const name = LEVEL_NAMES[level] ?? String(entry.level);
  const message = String(entry.msg ?? '');
  return {
    level,
    text: `[${name}] ${component}${message}${fields.length ? ` ${fields.join(' ')}` : ''}\n`,
  };
}

/** A logged Error keeps only its message here: stacks are for the server's logs, not a terminal. */
function withoutStack(value: unknown): unknown {
  if (value && typeof value === 'object' && 'stack' in value && 'message' in value) {
    return (value as { message: unknown }).message;
  }
  return value;
}

/** A one-line reason: the messages shown are single sentences, but never let one break a line. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

const clock = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + 'Z';
const statusName = (code: number) => liveStatusFromCode(code).toLowerCase();

/** The planner's state as an admin reads it in a terminal. */
export function formatFreshness(state: FreshnessState): string[] {
  if (state.mode === 'cron') {
    return [`sync mode: cron (SYNC_CRON); the adaptive planner is off for ${state.appId}`];
  }
  if (state.plannedAt === null || state.budget === null || state.intervals === null) {
    return [`sync mode: adaptive; no plan yet for ${state.appId} (no instance has planned)`];
  }
  const { budget, intervals } = state;
  const lines = [
    `sync mode: adaptive; planned at ${clock(state.plannedAt)}`,
    `budget ${budget.day}: limit ${budget.limit}, used ${budget.used}, reserve ${budget.reserve}, left ${budget.left}; ${state.skippedToday} reads skipped today`,
    `intervals: starting ${intervals.startingSeconds}s, ending ${intervals.endingSeconds}s, live ${intervals.liveSeconds}s, replays ${intervals.replaysSeconds}s, full sync ${intervals.fullSyncSeconds}s`,
    `last full sync: ${state.lastFullSyncAt === null ? 'none' : clock(state.lastFullSyncAt)}`,
    'next reads:',
    ...(state.next.length === 0 ? ['  none'] : []),
    ...state.next.map(
      (read) =>
        `  ${clock(read.at)}  ${read.kind.padEnd(8)} ${read.calls} call${read.calls === 1 ? ' ' : 's'}  ${read.roomIds.length > 0 ? `rooms ${read.roomIds.join(',')}` : 'all rooms'}  (${read.reason})`,
    ),
    'hot rooms:',
    ...(state.hotRooms.length === 0 ? ['  none'] : []),
    ...state.hotRooms.map(
      (hot) => `  ${hot.roomId}  ${hot.reason.padEnd(8)} due ${clock(hot.dueAt)}`,
    ),
    'last transitions:',
    ...(state.transitions.length === 0 ? ['  none'] : []),
    ...state.transitions.map(
      (seen) =>
        `  ${clock(seen.seenAt)}  room ${seen.roomId} ${statusName(seen.from)} -> ${statusName(seen.to)}` +
        (seen.lagAtMostSeconds === null ? '' : `  lag at most ${seen.lagAtMostSeconds}s`) +
        ` (${seen.kind})`,
    ),
  ];
  return lines;
}
