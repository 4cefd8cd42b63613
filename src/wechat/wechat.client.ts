import type { Logger } from 'pino';

import {
  backoffDelay,
  defaultRetryPolicy,
  sleep,
  untilNextMinute,
  type RetryPolicy,
} from './backoff.js';
import type { TokenMeter, TokenService } from './token.service.js';
import {
  EMPTY_LIST_ERRCODES,
  QUOTA_EXHAUSTED_ERRCODE,
  RATE_LIMITED_ERRCODE,
  REPLAY_NOT_READY_ERRCODE,
  WechatApiError,
  WechatError,
  type WechatEndpoint,
} from './wechat.errors.js';
import type { WechatHttp } from './wechat.http.js';
import { parseWith } from './wechat.parse.js';
import {
  wechatQuotaSchema,
  wechatReplayListSchema,
  wechatRoomListSchema,
  wechatStatusSchema,
  type WechatReplay,
  type WechatRoom,
} from './wechat.schemas.js';

const GETLIVEINFO: WechatEndpoint = '/wxa/business/getliveinfo';
const QUOTA_GET: WechatEndpoint = '/cgi-bin/openapi/quota/get';
const NO_ERRCODES: ReadonlySet<number> = new Set();
/** In replay mode an empty list and 9410003 both mean "no replay (yet)"; in list mode 9410003 is a failure. */
const REPLAY_ANSWER_ERRCODES: ReadonlySet<number> = new Set([
  ...EMPTY_LIST_ERRCODES,
  REPLAY_NOT_READY_ERRCODE,
]);
/**
 * Token rejections tolerated per call: one answered with a freshly fetched token (the same one,
 * if WeChat still hands it out), one with a force-refreshed token.
 */
const MAX_TOKEN_RETRIES = 2;

/** What one piece of work spent on WeChat; the sync records it per run. */
export interface CallMeter extends TokenMeter {
  listCalls: number;
  replayCalls: number;
}

export const newCallMeter = (): CallMeter => ({ listCalls: 0, replayCalls: 0, tokenCalls: 0 });

export interface RoomListPage {
  rooms: WechatRoom[];
  /** WeChat's total; null when it answered "empty" (errcode 1 or 9410000) without one. */
  total: number | null;
}

export interface ReplayPage {
  replays: WechatReplay[];
  total: number;
}

export interface WechatLiveClient {
  listRooms(page: { start: number; limit: number }, meter?: CallMeter): Promise<RoomListPage>;
  /** One page of a room's replays, or 'not-ready' when WeChat has none for it (yet). */
  listReplays(
    roomId: number,
    page: { start: number; limit: number },
    meter?: CallMeter,
  ): Promise<ReplayPage | 'not-ready'>;
  /** Reads the account's real getliveinfo quota into the quota counter, once a day. */
  refreshQuotaLimit(meter?: CallMeter): Promise<void>;
}

/**
 * What the client needs of the daily call ledger (`quota/quota.service.ts` implements it): declared
 * here so that the WeChat transport does not depend on the quota feature.
 */
export interface CallLedger {
  /** Counts one getliveinfo call, or throws QuotaExhaustedError without counting it. */
  reserveCall(): Promise<void>;
  /** WeChat said 45009: the day is spent whatever the ledger says. */
  markDaySpent(): Promise<void>;
  /** Stores the account's real figures read from WeChat's quota API. */
  recordWechatFigures(figures: { dailyLimit: number; used: number }): Promise<void>;
  /** Remembers that the limit could not be read, so the fallback is used for a while. */
  recordFallbackLimit(): Promise<void>;
  /** Whether today's limit came from WeChat (or the fallback) recently enough to trust. */
  hasLimitForToday(): Promise<boolean>;
}

export interface WechatClientOptions {
  http: WechatHttp;
  tokens: TokenService;
  quota: CallLedger;
  logger: Logger;
  retry?: RetryPolicy;
}

export function createWechatClient(options: WechatClientOptions): WechatLiveClient {
  const { http, tokens, quota, logger } = options;
  const retry = options.retry ?? defaultRetryPolicy;

  /** Fetching a token fails like any WeChat call (5xx, timeouts): retry it the same way. */
  async function withTokenRetries<T>(fetchToken: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await fetchToken();
      } catch (error) {
        if (!(error instanceof WechatError && error.retryable && attempt < retry.attempts))
          throw error;
        const delay = backoffDelay(retry, attempt);
        logger.warn({ attempt, delayMs: delay, err: error.message }, 'retrying the token fetch');
        await sleep(delay);
      }
    }
  }

  /**
   * Sends one call with the cached token. Token rejections get a fresh token (bounded); transient
   * failures are retried with backoff (bounded); getliveinfo calls are counted against the quota
   * before each send, retries included, because WeChat counts them too.
   */
  async function call(
    endpoint: WechatEndpoint,
    body: unknown,
    meter: CallMeter | undefined,
    countCall: (() => Promise<void>) | null,
    /** Errcodes this call treats as answers, not failures (e.g. "empty list"). */
    accepted: ReadonlySet<number>,
  ): Promise<{ body: unknown; errcode: number }> {
    let token = await withTokenRetries(() => tokens.getToken(meter));
    let tokenRetries = 0;
    let attempts = 0;
    for (;;) {
      attempts += 1;
      if (countCall) await countCall();
      try {
        const answer = await http.post(endpoint, body, token);
        const status = parseWith(wechatStatusSchema, answer, endpoint);
        const errcode = status.errcode ?? 0;
        if (errcode === 0 || accepted.has(errcode)) return { body: answer, errcode };
        throw new WechatApiError(errcode, status.errmsg ?? '', endpoint);
      } catch (error) {
        if (
          error instanceof WechatApiError &&
          error.isTokenRejected &&
          tokenRetries < MAX_TOKEN_RETRIES
        ) {
          tokenRetries += 1;
          // Token retries have their own bound; they do not use up the transient-failure budget.
          attempts -= 1;
          logger.warn({ errcode: error.errcode, endpoint }, 'access token rejected, replacing it');
          const rejected = token;
          // The second rejection in this call came with a freshly fetched token: force_refresh.
          const mayForceRefresh = tokenRetries > 1;
          const replacement = await withTokenRetries(() =>
            tokens.replaceRejected(rejected, { mayForceRefresh }, meter),
          );
          // No token but the twice-rejected one: resending it would only spend quota.
          if (replacement === null) throw error;
          token = replacement;
          continue;
        }
        if (
          error instanceof WechatApiError &&
          error.errcode === RATE_LIMITED_ERRCODE &&
          attempts < retry.attempts
        ) {
          const delay = (retry.rateLimitWaitMs ?? untilNextMinute)(new Date());
          logger.warn(
            { endpoint, delayMs: delay },
            'WeChat per-minute limit (45011); waiting for the next minute',
          );
          await sleep(delay);
          continue;
        }
        if (error instanceof WechatApiError && error.errcode === QUOTA_EXHAUSTED_ERRCODE) {
          await quota.markDaySpent();
          throw error;
        }
        if (error instanceof WechatError && error.retryable && attempts < retry.attempts) {
          const delay = backoffDelay(retry, attempts);
          logger.warn(
            { endpoint, attempt: attempts, delayMs: delay, err: error.message },
            'retrying WeChat call',
          );
          await sleep(delay);
          continue;
        }
        throw error;
      }
    }
  }

  const countLiveInfoCall =
    (kind: 'listCalls' | 'replayCalls', meter: CallMeter | undefined) => async () => {
      await quota.reserveCall();
      if (meter) meter[kind] += 1;
    };

  return {
    async listRooms(page, meter) {
      const { body, errcode } = await call(
        GETLIVEINFO,
        { start: page.start, limit: page.limit },
        meter,
        countLiveInfoCall('listCalls', meter),
        EMPTY_LIST_ERRCODES,
      );
      if (errcode !== 0) {
        // 1 (no room created) and 9410000 (nothing at this offset) are an empty list.
        return { rooms: [], total: null };
      }
      const list = parseWith(wechatRoomListSchema, body, GETLIVEINFO);
      return { rooms: list.room_info, total: list.total };
    },

    async listReplays(roomId, page, meter) {
      const { body, errcode } = await call(
        GETLIVEINFO,
        { action: 'get_replay', room_id: roomId, start: page.start, limit: page.limit },
        meter,
        countLiveInfoCall('replayCalls', meter),
        REPLAY_ANSWER_ERRCODES,
      );
      if (errcode === REPLAY_NOT_READY_ERRCODE) return 'not-ready';
      if (errcode !== 0) return { replays: [], total: 0 };
      const list = parseWith(wechatReplayListSchema, body, GETLIVEINFO);
      return { replays: list.live_replay, total: list.total };
    },

    async refreshQuotaLimit(meter) {
      if (await quota.hasLimitForToday()) return;
      try {
        const { body } = await call(QUOTA_GET, { cgi_path: GETLIVEINFO }, meter, null, NO_ERRCODES);
        const { quota: figures } = parseWith(wechatQuotaSchema, body, QUOTA_GET);
        await quota.recordWechatFigures({ dailyLimit: figures.daily_limit, used: figures.used });
      } catch (error) {
        if (!(error instanceof WechatError)) throw error;
        // The quota API is a nicety: without it the configured WECHAT_DAILY_QUOTA applies.
        logger.warn(
          { err: (error as Error).message },
          'could not read the getliveinfo quota from WeChat; using the configured limit',
        );
        await quota.recordFallbackLimit();
      }
    },
  };
}
