import { PassThrough } from 'node:stream';

import { afterEach, describe, expect, it } from 'vitest';

import { createLogger } from '../src/logger.js';
import { redisKeys } from '../src/redis/keys.js';
import { runScheduledSync } from '../src/sync/sync.jobs.js';
import { roomsFixture } from './support/fixtures.js';
import { SYNC_RUNS, type SyncRunJson } from './support/queries.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const logger = createLogger({ level: 'silent', pretty: false });
let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('scheduled sync', () => {
  it('syncs and records the run as triggered by cron', async () => {
    t = await startTestApp({ sim: { rooms: roomsFixture(5) } });
    const { sync, quota } = t.app.services;
    expect(await runScheduledSync({ sync, quota, logger })).toBe('ran');
    const runs = await t.gql<{ syncRuns: SyncRunJson[] }>(SYNC_RUNS, { limit: 1 }, { admin: true });
    expect(runs.data!.syncRuns[0]).toMatchObject({
      trigger: 'CRON',
      outcome: 'SUCCEEDED',
      roomsAdded: 5,
    });
  });

  it('skips while another instance holds the sync lock, calling nothing', async () => {
    t = await startTestApp({ sim: { rooms: roomsFixture(5) } });
    await t.app.redis.set(redisKeys.syncLock(t.appId), 'another-instance', 'PX', 10_000);
    const { sync, quota } = t.app.services;
    expect(await runScheduledSync({ sync, quota, logger })).toBe('skipped');
    expect(t.sim.stats().list).toBe(0);
  });

  it('does not start on a day whose quota is spent', async () => {
    t = await startTestApp({ sim: { rooms: roomsFixture(5) } });
    await t.app.services.quota.markDaySpent();
    const { sync, quota } = t.app.services;
    expect(await runScheduledSync({ sync, quota, logger })).toBe('skipped');
    expect(t.sim.stats().list + t.sim.stats().stableToken).toBe(0);
  });

  it('records a failed run in sync_runs and logs it, without throwing', async () => {
    t = await startTestApp({ sim: { rooms: roomsFixture(5) } });
    // Injected over the simulator's HTTP control API: WeChat refuses the list with 48001.
    const injected = await fetch(`${t.sim.url}/__sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ endpoint: 'list', kind: 'errcode', errcode: 48001 }),
    });
    expect(injected.status).toBe(201);
    const job = memoryLogger();
    const { sync, quota } = t.app.services;

    expect(await runScheduledSync({ sync, quota, logger: job.logger })).toBe('failed');

    const runs = await t.gql<{ syncRuns: SyncRunJson[] }>(SYNC_RUNS, { limit: 5 }, { admin: true });
    expect(runs.data!.syncRuns).toHaveLength(1);
    const run = runs.data!.syncRuns[0]!;
    expect(run).toMatchObject({
      trigger: 'CRON',
      outcome: 'FAILED',
      errorCode: 'WECHAT_ERROR',
      wechatErrcode: 48001,
      roomsAdded: 0,
      listCalls: 1,
    });
    expect(job.lines()).toContainEqual(
      expect.objectContaining({
        level: 'error',
        msg: 'scheduled sync failed',
        code: 'WECHAT_ERROR',
        errcode: 48001,
      }),
    );
    // The sync's own line names the run, so the log and the row can be matched.
    expect(parseLines(t.logs())).toContainEqual(
      expect.objectContaining({
        level: 'error',
        msg: 'sync failed; nothing was applied',
        syncRunId: run.id,
        trigger: 'cron',
        code: 'WECHAT_ERROR',
        errcode: 48001,
      }),
    );
  });
});

/** A real pino logger writing JSON lines to memory, built as the app builds its own. */
function memoryLogger() {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  return {
    logger: createLogger({ level: 'debug', pretty: false, destination: stream }),
    lines: () => parseLines(chunks.join('')),
  };
}

/** Log lines as objects, with pino's numeric level as its name. */
function parseLines(text: string): Array<Record<string, unknown>> {
  const names: Record<number, string> = { 20: 'debug', 30: 'info', 40: 'warn', 50: 'error' };
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      return { ...entry, level: names[entry.level as number] ?? entry.level };
    });
}
