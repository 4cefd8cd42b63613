import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

import type { WechatCallObservation } from '../wechat/wechat.http.js';

/**
 * Prometheus metrics (prom-client), one registry per app so tests and several apps in one process
 * do not collide. Figures that mirror state kept elsewhere (quota, token, cache) are read at scrape
 * time.
 */
export interface Metrics {
  registry: Registry;
  observeWechatCall(call: WechatCallObservation): void;
  observeSyncRun(run: { trigger: string; outcome: 'succeeded' | 'failed'; seconds: number }): void;
  /** `cached`: answered by the response cache, in front of Apollo. */
  observeGraphQL(operation: {
    name: string;
    seconds: number;
    errorCodes: string[];
    cached?: boolean;
  }): void;
  /** What the adaptive planner reports: its reads, their calls, its budget, the changes seen. */
  freshness: FreshnessMetrics;
  /** Registers scrape-time readers for state that lives elsewhere (Redis, the cache). */
  readGauges(readers: GaugeReaders): void;
  /** The Prometheus exposition for GET /metrics. */
  exposition(): Promise<{ contentType: string; body: string }>;
}

export interface FreshnessMetrics {
  /** A planned read ran, spending `calls` WeChat calls (kind: full, targeted, replays). */
  observeRead(kind: string, calls: number): void;
  setBudgetLeft(left: number): void;
  /** Reads the plan ran (`planned`) or could not pay for (`skipped`). */
  countReads(kind: string, outcome: 'planned' | 'skipped', count: number): void;
  countTransition(from: number, to: number): void;
}

/** Status names for labels: a fixed set, so an unexpected code cannot grow the label space. */
const STATUS_LABELS: Record<number, string> = {
  101: 'live',
  102: 'not_started',
  103: 'ended',
  104: 'banned',
  105: 'paused',
  106: 'abnormal',
  107: 'expired',
};
const statusLabel = (code: number) => STATUS_LABELS[code] ?? 'other';

export interface GaugeReaders {
  quota: () => Promise<{ used: number; remaining: number; limit: number }>;
  tokenTtlSeconds: () => Promise<number | null>;
  tokenAgeSeconds: () => Promise<number | null>;
  /** `hits` and `misses` are running totals since start (they only grow). */
  cache: () => { hits: number; misses: number; entries: number };
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'wxlive_' });

  const wechatCalls = new Counter({
    name: 'wxlive_wechat_calls_total',
    help: 'WeChat API calls by endpoint, kind and outcome (errcode, or http_NNN / timeout / network / bad_json)',
    labelNames: ['endpoint', 'kind', 'outcome'],
    registers: [registry],
  });
  const wechatSeconds = new Histogram({
    name: 'wxlive_wechat_call_duration_seconds',
    help: 'WeChat API call duration',
    labelNames: ['endpoint', 'kind'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const tokenRefreshes = new Counter({
    name: 'wxlive_token_refreshes_total',
    help: 'Access tokens fetched from WeChat, by kind (refresh, force_refresh)',
    labelNames: ['kind'],
    registers: [registry],
  });
  const syncRuns = new Counter({
    name: 'wxlive_sync_runs_total',
    help: 'Sync runs by trigger and outcome',
    labelNames: ['trigger', 'outcome'],
    registers: [registry],
  });
  const syncSeconds = new Histogram({
    name: 'wxlive_sync_duration_seconds',
    help: 'Sync run duration',
    labelNames: ['outcome'],
    buckets: [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    registers: [registry],
  });
  const graphqlOperations = new Counter({
    name: 'wxlive_graphql_operations_total',
    help: 'GraphQL operations by operation name, outcome (ok, or the first error code) and source (cache: the response cache answered; apollo: computed)',
    labelNames: ['operation', 'outcome', 'source'],
    registers: [registry],
  });
  const graphqlSeconds = new Histogram({
    name: 'wxlive_graphql_operation_duration_seconds',
    help: 'GraphQL operation duration by operation name and source (cache or apollo)',
    labelNames: ['operation', 'source'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [registry],
  });
  const graphqlErrors = new Counter({
    name: 'wxlive_graphql_errors_total',
    help: 'GraphQL errors by code',
    labelNames: ['code'],
    registers: [registry],
  });

  const readCalls = new Counter({
    name: 'wxlive_wechat_calls_by_read_kind_total',
    help: 'WeChat calls spent by the adaptive planner, by read kind (full, targeted, replays)',
    labelNames: ['kind'],
    registers: [registry],
  });
  const budgetLeft = new Gauge({
    name: 'wxlive_freshness_budget_left',
    help: 'Calls the adaptive planner may still spend today (limit - used - reserve), at its last plan',
    registers: [registry],
  });
  const plannedReads = new Counter({
    name: 'wxlive_freshness_reads_total',
    help: 'Reads the adaptive planner ran (planned) or could not pay for (skipped), by kind',
    labelNames: ['kind', 'outcome'],
    registers: [registry],
  });
  const transitions = new Counter({
    name: 'wxlive_room_transitions_total',
    help: 'Room status changes the planner saw, by old and new status',
    labelNames: ['from', 'to'],
    registers: [registry],
  });

  return {
    registry,
    freshness: {
      observeRead: (kind, calls) => readCalls.inc({ kind }, calls),
      setBudgetLeft: (left) => budgetLeft.set(left),
      countReads: (kind, outcome, count) => plannedReads.inc({ kind, outcome }, count),
      countTransition: (from, to) =>
        transitions.inc({ from: statusLabel(from), to: statusLabel(to) }),
    },
    async exposition() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
    observeWechatCall(call) {
      wechatCalls.inc({ endpoint: call.endpoint, kind: call.kind, outcome: call.outcome });
      wechatSeconds.observe({ endpoint: call.endpoint, kind: call.kind }, call.seconds);
      if (call.endpoint === '/cgi-bin/stable_token' && call.outcome === '0')
        tokenRefreshes.inc({ kind: call.kind });
    },
    observeSyncRun(run) {
      syncRuns.inc({ trigger: run.trigger, outcome: run.outcome });
      syncSeconds.observe({ outcome: run.outcome }, run.seconds);
    },
    observeGraphQL(operation) {
      const source = operation.cached ? 'cache' : 'apollo';
      graphqlOperations.inc({
        operation: operation.name,
        outcome: operation.errorCodes[0] ?? 'ok',
        source,
      });
      graphqlSeconds.observe({ operation: operation.name, source }, operation.seconds);
      for (const code of operation.errorCodes) graphqlErrors.inc({ code });
    },
    readGauges(readers) {
      readAtScrape(registry, readers);
    },
  };
}

function readAtScrape(registry: Registry, readers: GaugeReaders): void {
  // Both quota gauges show one reading: one Redis round trip per scrape, and figures that agree.
  // A scrape must not fail because Redis is down: a failed reading keeps the last values.
  const quota = sharedWhilePending(() => readers.quota().catch(() => null));
  scrapedGauge(registry, {
    name: 'wxlive_quota_used',
    help: 'getliveinfo calls counted today (China day)',
    read: async () => (await quota())?.used,
  });
  scrapedGauge(registry, {
    name: 'wxlive_quota_remaining',
    help: 'getliveinfo calls left today',
    read: async () => (await quota())?.remaining,
  });
  const ttl = () => readers.tokenTtlSeconds().catch(() => undefined);
  const age = () => readers.tokenAgeSeconds().catch(() => undefined);
  scrapedGauge(registry, {
    name: 'wxlive_token_ttl_seconds',
    help: 'Seconds the cached access token has left (-1: none cached)',
    read: async () => noneAsMinusOne(await ttl()),
  });
  scrapedGauge(registry, {
    name: 'wxlive_token_age_seconds',
    help: 'Seconds since the cached access token was fetched (-1: none cached)',
    read: async () => noneAsMinusOne(await age()),
  });
  scrapedCounter(registry, {
    name: 'wxlive_response_cache_hits_total',
    help: 'Public GraphQL requests answered from the response cache',
    read: () => readers.cache().hits,
  });
  scrapedCounter(registry, {
    name: 'wxlive_response_cache_misses_total',
    help: 'Cacheable public GraphQL requests that had to be computed',
    read: () => readers.cache().misses,
  });
  scrapedGauge(registry, {
    name: 'wxlive_response_cache_entries',
    help: 'Answers held in the response cache',
    read: async () => readers.cache().entries,
  });
}

interface ScrapedMetric<Value> {
  name: string;
  help: string;
  read: () => Value;
}

/** A gauge set at scrape time; a reading of undefined (it failed) keeps the last value. */
function scrapedGauge(
  registry: Registry,
  { name, help, read }: ScrapedMetric<Promise<number | undefined>>,
): Gauge {
  return new Gauge({
    name,
    help,
    registers: [registry],
    async collect() {
      const value = await read();
      if (value !== undefined) this.set(value);
    },
  });
}

/** A counter for a running total kept elsewhere: moved at scrape time by what it grew since. */
function scrapedCounter(registry: Registry, { name, help, read }: ScrapedMetric<number>): Counter {
  let counted = 0;
  return new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const total = read();
      this.inc(total - counted);
      counted = total;
    },
  });
}

/**
 * One reading shared by every caller while it is pending. A scrape collects all metrics at once, so
 * the metrics of one scrape share one reading; the next scrape reads afresh.
 */
function sharedWhilePending<T>(read: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () =>
    (pending ??= read().finally(() => {
      pending = undefined;
    }));
}

/** -1 stands for "no token cached"; undefined (the reading failed) keeps the last value. */
function noneAsMinusOne(value: number | null | undefined): number | undefined {
  return value === null ? -1 : value;
}
