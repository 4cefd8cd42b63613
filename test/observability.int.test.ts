import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { roomsFixture } from './support/fixtures.js';
import { ROOMS, SYNC_ROOMS } from './support/queries.js';
import { startTestApp, type TestApp } from './support/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ sim: { rooms: roomsFixture(60) } });
  await t.gql(SYNC_ROOMS, {}, { admin: true });
  await t.gql(ROOMS, { pageSize: 5 });
  await t.gql(ROOMS, { pageSize: 5 });
  await t.gql(ROOMS, { pageSize: 500 });
});
afterAll(async () => {
  await t.close();
});

const scrape = async () => {
  const response = await fetch(t.url.replace(/\/graphql$/, '/metrics'));
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/text\/plain/);
  return response.text();
};

describe('/metrics', () => {
  it('counts sync runs, WeChat calls by endpoint and outcome, and token refreshes', async () => {
    const text = await scrape();
    expect(text).toMatch(/wxlive_sync_runs_total\{trigger="admin",outcome="succeeded"\} 1/);
    expect(text).toMatch(
      /wxlive_wechat_calls_total\{endpoint="\/wxa\/business\/getliveinfo",kind="list",outcome="0"\} 2/,
    );
    expect(text).toMatch(/wxlive_token_refreshes_total\{kind="refresh"\} 1/);
    expect(text).toMatch(/wxlive_sync_duration_seconds_count\{outcome="succeeded"\} 1/);
  });

  it('reports quota, token lifetime, cache use, GraphQL operations and default Node metrics', async () => {
    const text = await scrape();
    expect(text).toMatch(/wxlive_quota_used \d+/);
    expect(text).toMatch(/wxlive_quota_remaining \d+/);
    expect(text).toMatch(/wxlive_token_ttl_seconds \d+/);
    expect(text).toMatch(/wxlive_token_age_seconds \d+/);
    expect(text).toMatch(/^wxlive_response_cache_hits_total [1-9]/m);
    expect(text).toMatch(/^wxlive_response_cache_misses_total [1-9]/m);
    // Running totals: counters, so rate() and increase() work on them.
    expect(text).toMatch(/^# TYPE wxlive_response_cache_hits_total counter$/m);
    expect(text).toMatch(/^# TYPE wxlive_response_cache_misses_total counter$/m);
    // The first Rooms request was computed by Apollo, the second answered from the cache.
    expect(text).toMatch(
      /wxlive_graphql_operations_total\{operation="Rooms",outcome="ok",source="apollo"\} 1\n/,
    );
    expect(text).toMatch(
      /wxlive_graphql_operations_total\{operation="Rooms",outcome="ok",source="cache"\} 1\n/,
    );
    expect(text).toMatch(
      /wxlive_graphql_operation_duration_seconds_count\{operation="Rooms",source="cache"\} 1\n/,
    );
    expect(text).toMatch(/wxlive_graphql_errors_total\{code="BAD_USER_INPUT"\} 1/);
    expect(text).toMatch(/wxlive_process_resident_memory_bytes/);
  });
});

describe('logs', () => {
  it('carry a request id per GraphQL operation and a sync run id, one line per list page', () => {
    const lines = t
      .logs()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const operations = lines.filter((line) => line.msg === 'graphql operation');
    // The (anonymous) sync, Rooms (computed), Rooms (from the cache), Rooms with a bad page size.
    expect(operations.map((line) => [line.operation, line.cached ?? false])).toEqual([
      ['anonymous', false],
      ['Rooms', false],
      ['Rooms', true],
      ['Rooms', false],
    ]);
    expect(operations.every((line) => typeof line.requestId === 'string')).toBe(true);
    expect(new Set(operations.map((line) => line.requestId)).size).toBe(operations.length);
    const pages = lines.filter((line) => line.msg === 'sync list page');
    expect(pages).toHaveLength(2);
    // Per page at debug level (20), the run's summary at info (30).
    expect(pages.every((line) => line.level === 20)).toBe(true);
    expect(pages.every((line) => typeof line.syncRunId === 'number')).toBe(true);
    const summary = lines.filter((line) => line.msg === 'sync finished');
    expect(summary).toHaveLength(1);
    expect(summary[0]).toMatchObject({ level: 30 });
  });
});
