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

  it('logs a failed run and does not throw', async () => {
    t = await startTestApp({ sim: { rooms: roomsFixture(5) } });
    t.sim.injectFault({ endpoint: 'list', kind: 'errcode', errcode: 48001 });
    const { sync, quota } = t.app.services;
    expect(await runScheduledSync({ sync, quota, logger })).toBe('failed');
  });
});
