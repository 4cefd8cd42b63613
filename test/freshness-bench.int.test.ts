import { describe, expect, it } from 'vitest';

import { QUOTA_SETTINGS, playDay } from '../bench/freshness/virtual-day.js';
import { uniqueAppId } from './support/test-app.js';
import { TEST_REDIS_URL, testDatabaseUrl } from './support/test-env.js';

const MINUTE = 60_000;
const roomy = QUOTA_SETTINGS.find((setting) => setting.name === 'roomy')!;

/**
 * The freshness benchmark's measuring, checked on a small scripted day with the 10-minute cron,
 * whose reads fall at known instants: every change must be seen at the first read after it,
 * never sooner and never later, and the calls counted must be the reads made.
 */
describe('bench:freshness measures what the API shows', () => {
  it('sees each change at the first 10-minute sync after it, and counts that sync’s calls', async () => {
    const outcome = await playDay({
      strategy: 'cron-10',
      setting: roomy,
      seed: 11,
      day: Date.parse('2026-12-01T04:00:00Z'),
      script: {
        rooms: 60,
        plannedToday: 4,
        earlyStarts: 1,
        earlyEnds: 1,
        bans: 1,
        createdToday: 1,
      },
      storage: { databaseUrl: testDatabaseUrl(), redisUrl: TEST_REDIS_URL, appId: uniqueAppId() },
    });
    const statusChanges = outcome.observations.filter(
      (observation) => observation.event.kind !== 'replays',
    );
    expect(statusChanges.length).toBeGreaterThanOrEqual(4 * 2 + 1 + 1 + 2);
    for (const { event, seenAt } of statusChanges) {
      // A change at the very instant of a sync is not seen by it: the next one sees it.
      const nextSync = (Math.floor(event.at / (10 * MINUTE)) + 1) * 10 * MINUTE;
      expect({ roomid: event.roomid, kind: event.kind, seenAt }).toEqual({
        roomid: event.roomid,
        kind: event.kind,
        seenAt: nextSync,
      });
    }
    const replays = outcome.observations.filter(
      (observation) => observation.event.kind === 'replays',
    );
    expect(replays.length).toBeGreaterThanOrEqual(4);
    for (const { event, seenAt } of replays) {
      expect(seenAt).not.toBeNull();
      // Asked 16 minutes after the end was stored, at a 10-minute sync: within half an hour.
      expect(seenAt! - event.at).toBeLessThanOrEqual(30 * MINUTE);
    }
    // The day's calls (to midnight): 144 syncs of two list pages (60 rooms, then 61), and replays.
    const syncs = (24 * 60) / 10;
    expect(outcome.quotaRejections).toBe(0);
    expect(outcome.calls).toBeGreaterThanOrEqual(syncs * 2);
    expect(outcome.calls).toBeLessThanOrEqual(syncs * 2 + replays.length * 3);
  });
});
