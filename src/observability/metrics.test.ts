import { describe, expect, it } from 'vitest';

import { createMetrics, type GaugeReaders } from './metrics.js';

/** Readers over figures the test changes, counting how often the quota is read. */
function fakeState() {
  const state = {
    quota: { used: 5, remaining: 95, limit: 100 },
    quotaReads: 0,
    quotaDown: false,
    cache: { hits: 0, misses: 0, entries: 0 },
  };
  const readers: GaugeReaders = {
    quota: async () => {
      state.quotaReads += 1;
      if (state.quotaDown) throw new Error('Redis is down');
      return { ...state.quota };
    },
    tokenTtlSeconds: async () => 600,
    tokenAgeSeconds: async () => null,
    cache: () => ({ ...state.cache }),
  };
  return { state, readers };
}

function scraper() {
  const metrics = createMetrics();
  const { state, readers } = fakeState();
  metrics.readGauges(readers);
  return { state, scrape: async () => (await metrics.exposition()).body };
}

describe('metrics read at scrape time', () => {
  it('reads the quota once per scrape for both quota gauges, afresh at each scrape', async () => {
    const { state, scrape } = scraper();
    const first = await scrape();
    expect(state.quotaReads).toBe(1);
    expect(first).toMatch(/^wxlive_quota_used 5$/m);
    expect(first).toMatch(/^wxlive_quota_remaining 95$/m);

    state.quota = { used: 6, remaining: 94, limit: 100 };
    const second = await scrape();
    expect(state.quotaReads).toBe(2);
    expect(second).toMatch(/^wxlive_quota_used 6$/m);
    expect(second).toMatch(/^wxlive_quota_remaining 94$/m);
  });

  it('keeps the last quota figures when the quota cannot be read', async () => {
    const { state, scrape } = scraper();
    await scrape();
    state.quotaDown = true;
    const text = await scrape();
    expect(text).toMatch(/^wxlive_quota_used 5$/m);
    expect(text).toMatch(/^wxlive_quota_remaining 95$/m);
  });

  it('exposes cache hits and misses as counters that follow the running totals', async () => {
    const { state, scrape } = scraper();
    state.cache = { hits: 3, misses: 2, entries: 2 };
    const first = await scrape();
    expect(first).toMatch(/^# TYPE wxlive_response_cache_hits_total counter$/m);
    expect(first).toMatch(/^# TYPE wxlive_response_cache_misses_total counter$/m);
    expect(first).toMatch(/^# TYPE wxlive_response_cache_entries gauge$/m);
    expect(first).toMatch(/^wxlive_response_cache_hits_total 3$/m);
    expect(first).toMatch(/^wxlive_response_cache_misses_total 2$/m);

    state.cache = { hits: 10, misses: 2, entries: 1 };
    const second = await scrape();
    expect(second).toMatch(/^wxlive_response_cache_hits_total 10$/m);
    expect(second).toMatch(/^wxlive_response_cache_misses_total 2$/m);
    expect(second).toMatch(/^wxlive_response_cache_entries 1$/m);
  });

  it('shows a missing token as -1', async () => {
    const text = await scraper().scrape();
    expect(text).toMatch(/^wxlive_token_ttl_seconds 600$/m);
    expect(text).toMatch(/^wxlive_token_age_seconds -1$/m);
  });
});

describe('freshness metrics', () => {
  it('counts reads, their calls by kind, skipped reads, the budget left and transitions by status name', async () => {
    const metrics = createMetrics();
    metrics.freshness.countReads('targeted', 'planned', 1);
    metrics.freshness.observeRead('targeted', 2);
    metrics.freshness.observeRead('full', 6);
    metrics.freshness.countReads('full', 'skipped', 1);
    metrics.freshness.setBudgetLeft(123);
    metrics.freshness.countTransition(102, 101);
    metrics.freshness.countTransition(101, 999);
    const body = (await metrics.exposition()).body;
    expect(body).toContain('wxlive_wechat_calls_by_read_kind_total{kind="targeted"} 2');
    expect(body).toContain('wxlive_wechat_calls_by_read_kind_total{kind="full"} 6');
    expect(body).toContain('wxlive_freshness_reads_total{kind="targeted",outcome="planned"} 1');
    expect(body).toContain('wxlive_freshness_reads_total{kind="full",outcome="skipped"} 1');
    expect(body).toContain('wxlive_freshness_budget_left 123');
    expect(body).toContain('wxlive_room_transitions_total{from="not_started",to="live"} 1');
    // An unknown code never becomes a label of its own.
    expect(body).toContain('wxlive_room_transitions_total{from="live",to="other"} 1');
  });
});
