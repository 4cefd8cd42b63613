import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

import type { WechatCallObservation } from '../wechat/wechat.http.js';

/**
 * Prometheus metrics (prom-client), one registry per app so tests and several apps in one process
 * do not collide. Gauges that mirror shared state (quota, token, cache) are read at scrape time.
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
  /** Registers scrape-time readers for state that lives elsewhere (Redis, the cache). */
  readGauges(readers: GaugeReaders): void;
}

export interface GaugeReaders {
  quota: () => Promise<{ used: number; remaining: number; limit: number }>;
  tokenTtlSeconds: () => Promise<number | null>;
  tokenAgeSeconds: () => Promise<number | null>;
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

  return {
    registry,
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
      new Gauge({
        name: 'wxlive_quota_used',
        help: 'getliveinfo calls counted today (China day)',
        registers: [registry],
        async collect() {
          // A scrape must not fail because Redis is down: keep the last value.
          const quota = await readers.quota().catch(() => null);
          if (quota) this.set(quota.used);
        },
      });
      new Gauge({
        name: 'wxlive_quota_remaining',
        help: 'getliveinfo calls left today',
        registers: [registry],
        async collect() {
          const quota = await readers.quota().catch(() => null);
          if (quota) this.set(quota.remaining);
        },
      });
      new Gauge({
        name: 'wxlive_token_ttl_seconds',
        help: 'Seconds the cached access token has left (-1: none cached)',
        registers: [registry],
        async collect() {
          const ttl = await readers.tokenTtlSeconds().catch(() => undefined);
          if (ttl !== undefined) this.set(ttl ?? -1);
        },
      });
      new Gauge({
        name: 'wxlive_token_age_seconds',
        help: 'Seconds since the cached access token was fetched (-1: none cached)',
        registers: [registry],
        async collect() {
          const age = await readers.tokenAgeSeconds().catch(() => undefined);
          if (age !== undefined) this.set(age ?? -1);
        },
      });
      new Gauge({
        name: 'wxlive_response_cache_hits',
        help: 'Public GraphQL requests answered from the response cache since start',
        registers: [registry],
        collect() {
          this.set(readers.cache().hits);
        },
      });
      new Gauge({
        name: 'wxlive_response_cache_misses',
        help: 'Cacheable public GraphQL requests that had to be computed since start',
        registers: [registry],
        collect() {
          this.set(readers.cache().misses);
        },
      });
      new Gauge({
        name: 'wxlive_response_cache_entries',
        help: 'Answers held in the response cache',
        registers: [registry],
        collect() {
          this.set(readers.cache().entries);
        },
      });
    },
  };
}
