/**
 * What can go wrong talking to WeChat, as types rather than strings. WeChat reports most failures
 * inside HTTP 200 bodies, so `WechatApiError` carries its errcode; transport problems and answers
 * that do not match the expected shape have their own classes.
 */

/** The endpoint path only: the query string holds the access token and is never kept. */
export type WechatEndpoint =
  '/cgi-bin/stable_token' | '/wxa/business/getliveinfo' | '/cgi-bin/openapi/quota/get';

export abstract class WechatError extends Error {
  abstract readonly retryable: boolean;
  constructor(
    message: string,
    readonly endpoint: WechatEndpoint,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class WechatApiError extends WechatError {
  constructor(
    readonly errcode: number,
    readonly errmsg: string,
    endpoint: WechatEndpoint,
  ) {
    super(`WeChat ${endpoint} answered errcode ${errcode}: ${errmsg}`, endpoint);
  }

  get retryable(): boolean {
    return isTransientErrcode(this.errcode);
  }

  get isTokenRejected(): boolean {
    return TOKEN_REJECTED_ERRCODES.has(this.errcode);
  }
}

/** Network error, timeout, HTTP 5xx or a body that is not JSON: worth retrying. */
export class WechatTransportError extends WechatError {
  constructor(
    message: string,
    endpoint: WechatEndpoint,
    readonly status?: number,
  ) {
    super(message, endpoint);
  }

  get retryable(): boolean {
    return this.status === undefined || this.status >= 500 || this.status === 429;
  }
}

/** A JSON answer missing a field or with a field of the wrong type: WeChat's names have drifted. */
export class WechatResponseShapeError extends WechatError {
  readonly retryable = false;
  constructor(
    readonly field: string,
    detail: string,
    endpoint: WechatEndpoint,
  ) {
    super(`WeChat ${endpoint} answered an unexpected shape at "${field}": ${detail}`, endpoint);
  }
}

/** Refused locally, before sending: the day's getliveinfo quota is used up. */
export class QuotaExhaustedError extends Error {
  readonly errcode = 45009;
  constructor(
    readonly day: string,
    readonly limit: number,
  ) {
    super(`The getliveinfo quota for ${day} (China time) is used up (limit ${limit})`);
    this.name = 'QuotaExhaustedError';
  }
}

/** The token could not be had: another instance holds the refresh lock and none appeared. */
export class TokenUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenUnavailableError';
  }
}

export const TOKEN_REJECTED_ERRCODES: ReadonlySet<number> = new Set([40001, 40014, 42001]);
/** "Empty list" in list mode: 1 no room created, 9410000 nothing at this offset. */
export const EMPTY_LIST_ERRCODES: ReadonlySet<number> = new Set([1, 9410000]);
export const QUOTA_EXHAUSTED_ERRCODE = 45009;
export const RATE_LIMITED_ERRCODE = 45011;
/** 9410003 in replay mode: WeChat has no replay for the room (yet). */
export const REPLAY_NOT_READY_ERRCODE = 9410003;

/** -1 system busy; 9410001-3 WeChat failed to read room / goods / replay. */
export function isTransientErrcode(errcode: number): boolean {
  return errcode === -1 || (errcode >= 9410001 && errcode <= 9410003);
}
