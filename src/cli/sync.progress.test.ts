import { describe, expect, it } from 'vitest';

import { initialSyncProgress, type SyncProgress } from '../sync/sync.service.js';
import { createSyncProgress, type CliStream } from './sync.progress.js';

/** A stream that records what was written; `isTTY` makes it pass for a terminal. */
function fakeStream(isTTY: boolean): CliStream & { text(): string } {
  const chunks: string[] = [];
  return {
    isTTY,
    columns: isTTY ? 120 : undefined,
    write(chunk: string) {
      chunks.push(chunk);
      return true;
    },
    text: () => chunks.join(''),
  };
}

const base = initialSyncProgress();
const listPage = (pagesRead: number): SyncProgress => ({
  ...base,
  pagesRead,
  pagesExpected: 1000,
  roomsSeen: pagesRead * 50,
});

describe('plain sync progress (stdout not a terminal)', () => {
  it('prints at most one line per second, plus the first and last line of each phase', () => {
    const stdout = fakeStream(false);
    let clock = 0;
    const progress = createSyncProgress({ stdout, stderr: fakeStream(false), now: () => clock });
    // 1000 pages over 2.5 s, then the replay and apply phases.
    for (let page = 1; page <= 1000; page += 1) {
      clock = page * 2.5;
      progress.update(listPage(page));
    }
    progress.update({ ...listPage(1000), phase: 'replays', replaysToCheck: 3 });
    for (let checked = 1; checked <= 3; checked += 1) {
      progress.update({
        ...listPage(1000),
        phase: 'replays',
        replaysToCheck: 3,
        replaysChecked: checked,
      });
    }
    progress.update({
      ...listPage(1000),
      phase: 'apply',
      replaysToCheck: 3,
      replaysChecked: 3,
      roomsToWrite: 42,
    });
    progress.stop();

    expect(stdout.text().split('\n').filter(Boolean)).toEqual([
      'list 1/1000 pages, 50 rooms',
      'list 401/1000 pages, 20050 rooms',
      'list 801/1000 pages, 40050 rooms',
      'list 1000/1000 pages, 50000 rooms',
      'replays 0/3 rooms checked',
      'replays 3/3 rooms checked',
      'applying 42 new or changed rooms',
    ]);
  });

  it('sends log lines to stderr untouched', () => {
    const stdout = fakeStream(false);
    const stderr = fakeStream(false);
    const progress = createSyncProgress({ stdout, stderr });
    progress.log('[warn] sync: something\n');
    expect(stderr.text()).toBe('[warn] sync: something\n');
    expect(stdout.text()).toBe('');
  });
});

describe('sync progress bar (stdout a terminal)', () => {
  it('draws pages, rooms, replays and the apply step on one redrawn line', () => {
    const stdout = fakeStream(true);
    const progress = createSyncProgress({ stdout, stderr: fakeStream(true) });
    progress.update(listPage(500));
    progress.stop();
    expect(stdout.text()).toContain('listing');
    expect(stdout.text()).toContain('500/1000 pages · 25000 rooms');
    // Half the 30-cell bar is full.
    expect(stdout.text()).toContain(`${'\u2588'.repeat(15)}${'\u2591'.repeat(15)}`);

    const applying = fakeStream(true);
    const bar = createSyncProgress({ stdout: applying, stderr: fakeStream(true) });
    bar.update({ ...listPage(1000), phase: 'replays', replaysToCheck: 8, replaysChecked: 2 });
    bar.update({ ...listPage(1000), phase: 'apply', roomsToWrite: 7 });
    bar.stop();
    expect(applying.text()).toContain('applying');
    expect(applying.text()).toContain('writing 7 rooms');
    // The bar ends its line, so what follows starts on a fresh one; no line is ever wrapped.
    expect(applying.text().endsWith('\n')).toBe(true);
  });

  it('prints log lines above the bar instead of through it', () => {
    const stdout = fakeStream(true);
    const stderr = fakeStream(true);
    const progress = createSyncProgress({ stdout, stderr });
    progress.update(listPage(1));
    progress.log('[warn] sync: could not fetch replays\n');
    progress.stop();
    const text = stdout.text();
    expect(text).toContain('[warn] sync: could not fetch replays\n');
    // The log line comes out on a cleared line, and the bar is drawn again after it.
    expect(text.indexOf('[warn]')).toBeLessThan(text.lastIndexOf('listing'));
    expect(stderr.text()).toBe('');
  });

  it('leaves log lines on stderr when stderr is redirected away from the terminal', () => {
    const stderr = fakeStream(false);
    const progress = createSyncProgress({ stdout: fakeStream(true), stderr });
    progress.update(listPage(1));
    progress.log('[warn] x\n');
    progress.stop();
    expect(stderr.text()).toBe('[warn] x\n');
  });
});
