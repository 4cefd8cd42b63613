import cliProgress, { type MultiBar, type SingleBar } from 'cli-progress';

import type { SyncProgress } from '../sync/sync.service.js';

/** What the CLI writes to: process.stdout/stderr, or a fake terminal in tests. */
export interface CliStream {
  write(chunk: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

export interface SyncProgressReporter {
  update(progress: SyncProgress): void;
  /** Prints a log line (ending in a newline) without tearing a bar being drawn. */
  log(line: string): void;
  /** Draws or prints the last state and releases the terminal; safe to call more than once. */
  stop(): void;
}

export interface SyncProgressOptions {
  stdout: CliStream;
  stderr: CliStream;
  /** Plain mode prints at most one line per interval, plus one per phase change. */
  plainIntervalMs?: number;
  now?: () => number;
}

const PHASE_LABELS: Record<SyncProgress['phase'], string> = {
  list: 'listing ',
  replays: 'replays ',
  apply: 'applying',
};

/** A bar when stdout is a terminal; otherwise throttled plain lines a log file can keep. */
export function createSyncProgress(options: SyncProgressOptions): SyncProgressReporter {
  return options.stdout.isTTY === true ? createBarProgress(options) : createPlainProgress(options);
}

/** One line per step, e.g. `list 12/200 pages, 600 rooms`. */
export function describeSyncProgress(progress: SyncProgress): string {
  switch (progress.phase) {
    case 'list':
      return `list ${progress.pagesRead}/${progress.pagesExpected} pages, ${progress.roomsSeen} rooms`;
    case 'replays':
      return `replays ${progress.replaysChecked}/${progress.replaysToCheck} rooms checked`;
    case 'apply':
      return `applying ${progress.roomsToWrite} new or changed rooms`;
  }
}

function createPlainProgress(options: SyncProgressOptions): SyncProgressReporter {
  const { stdout, stderr } = options;
  const intervalMs = options.plainIntervalMs ?? 1000;
  const now = options.now ?? Date.now;
  let phase: SyncProgress['phase'] | null = null;
  let printedAt = 0;
  let printed = '';
  // The newest line not printed because of the throttle: shown when the phase ends, so the last
  // line of each phase tells where it finished (e.g. `list 200/200 pages`).
  let pending: string | null = null;

  const print = (line: string) => {
    stdout.write(`${line}\n`);
    printed = line;
    printedAt = now();
    pending = null;
  };
  const flush = () => {
    if (pending !== null && pending !== printed) print(pending);
    pending = null;
  };

  return {
    update(progress) {
      const line = describeSyncProgress(progress);
      if (progress.phase !== phase) {
        flush();
        phase = progress.phase;
        print(line);
      } else if (now() - printedAt >= intervalMs) {
        print(line);
      } else {
        pending = line;
      }
    },
    log(line) {
      stderr.write(line);
    },
    stop() {
      flush();
    },
  };
}

function createBarProgress(options: SyncProgressOptions): SyncProgressReporter {
  const { stdout, stderr } = options;
  let bars: MultiBar | null = null;
  let bar: SingleBar | null = null;
  let phase: SyncProgress['phase'] | null = null;
  // Log lines go above the bar only when stderr is the same kind of terminal; a redirected stderr
  // keeps them (they cannot tear a bar they are not drawn next to).
  const logsThroughBar = stderr.isTTY === true;

  const start = () => {
    // A MultiBar, even for one bar, because it can print log lines above the bar it redraws.
    bars = new cliProgress.MultiBar({
      stream: stdout as NodeJS.WritableStream,
      format: ' {phase} {bar} {detail}',
      barCompleteChar: '\u2588',
      barIncompleteChar: '\u2591',
      barsize: 30,
      // Truncate to the terminal width instead of switching the terminal's line wrapping off:
      // nothing to restore if the process is killed while drawing.
      linewrap: true,
      hideCursor: false,
      // Redraw every tick even when nothing changed: a log line printed above erases the bar.
      forceRedraw: true,
      // SIGINT is handled by the CLI, which stops the bar before exiting.
      gracefulExit: false,
    });
    bar = bars.create(1, 0, { phase: PHASE_LABELS.list, detail: '' });
  };

  return {
    update(progress) {
      if (!bars) start();
      const { value, total, detail } = barState(progress);
      bar!.setTotal(total);
      bar!.update(value, { phase: PHASE_LABELS[progress.phase], detail });
      // Draw a new phase at once rather than on the next tick: a short phase still shows.
      if (progress.phase !== phase) bars!.update();
      phase = progress.phase;
    },
    log(line) {
      if (bars && logsThroughBar) bars.log(line);
      else stderr.write(line);
    },
    stop() {
      if (!bars) return;
      // MultiBar.stop does not print buffered log lines: one last redraw flushes them.
      bars.update();
      bars.stop();
      bars = null;
      bar = null;
    },
  };
}

function barState(progress: SyncProgress): { value: number; total: number; detail: string } {
  switch (progress.phase) {
    case 'list':
      return {
        value: progress.pagesRead,
        // A new pass restarts the count; the total may be unknown (1) until the first page.
        total: Math.max(progress.pagesExpected, progress.pagesRead),
        detail: `${progress.pagesRead}/${progress.pagesExpected} pages · ${progress.roomsSeen} rooms`,
      };
    case 'replays':
      return {
        value: progress.replaysChecked,
        total: progress.replaysToCheck,
        detail: `${progress.replaysChecked}/${progress.replaysToCheck} rooms checked for replays`,
      };
    case 'apply':
      return { value: 1, total: 1, detail: `writing ${progress.roomsToWrite} rooms` };
  }
}
