import {
  QuotaExhaustedError,
  TokenUnavailableError,
  WechatApiError,
  WechatResponseShapeError,
  WechatTransportError,
  QUOTA_EXHAUSTED_ERRCODE,
} from './wechat/wechat.errors.js';

/** The stable codes clients see in `extensions.code` and sync runs record in `error_code`. */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'UNAUTHENTICATED'
  | 'RATE_LIMITED'
  | 'NOT_FOUND'
  | 'SYNC_IN_PROGRESS'
  | 'SYNC_LOCK_LOST'
  | 'QUOTA_EXHAUSTED'
  | 'UPSTREAM_UNAVAILABLE'
  | 'WECHAT_ERROR'
  | 'WECHAT_BAD_RESPONSE'
  | 'LIST_INCOMPLETE'
  | 'INTERRUPTED'
  | 'INTERNAL_SERVER_ERROR';

/** A failure the service knows how to explain to a client. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly errcode?: number,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export interface ClassifiedError {
  code: ErrorCode;
  message: string;
  /** WeChat's errcode, when WeChat gave one. */
  errcode?: number;
  /** False for failures whose message may carry internals (SQL, stack): log it, show a generic one. */
  safeToShow: boolean;
}

// Error codes of the MySQL and Redis clients that mean "the engine is not reachable".
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'POOL_CLOSED',
  'QUEUE_LIMIT_REACHED',
]);
const CONNECTION_ERROR_NAMES = new Set(['MaxRetriesPerRequestError']);
const CONNECTION_ERROR_MESSAGES = [
  /Connection is closed/i,
  /Command timed out/i,
  /Stream isn't writeable/i,
  // ioredis's Cluster client while the cluster (or the node of a slot) is unreachable.
  /Cluster isn't ready/i,
  /None of startup nodes is available/i,
  /Too many Cluster redirections/i,
  /CLUSTERDOWN/,
];

/** Maps any thrown value to a stable code and a message fit for a client. */
export function classifyError(error: unknown): ClassifiedError {
  if (error instanceof AppError) {
    return { code: error.code, message: error.message, errcode: error.errcode, safeToShow: true };
  }
  if (error instanceof QuotaExhaustedError) {
    return {
      code: 'QUOTA_EXHAUSTED',
      message: error.message,
      errcode: error.errcode,
      safeToShow: true,
    };
  }
  if (error instanceof WechatApiError) {
    return {
      code: error.errcode === QUOTA_EXHAUSTED_ERRCODE ? 'QUOTA_EXHAUSTED' : 'WECHAT_ERROR',
      message: error.message,
      errcode: error.errcode,
      safeToShow: true,
    };
  }
  if (error instanceof WechatTransportError || error instanceof TokenUnavailableError) {
    return { code: 'UPSTREAM_UNAVAILABLE', message: error.message, safeToShow: true };
  }
  if (error instanceof WechatResponseShapeError) {
    return { code: 'WECHAT_BAD_RESPONSE', message: error.message, safeToShow: true };
  }
  const engine = connectionFailure(error);
  if (engine) {
    return {
      code: 'UPSTREAM_UNAVAILABLE',
      message: `${engine} is unavailable; try again shortly`,
      safeToShow: true,
    };
  }
  return {
    code: 'INTERNAL_SERVER_ERROR',
    message: error instanceof Error ? error.message : String(error),
    safeToShow: false,
  };
}

/** 'MySQL' or 'Redis' when the error (or one it wraps) is a lost or refused connection. */
function connectionFailure(error: unknown): 'MySQL' | 'Redis' | null {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth += 1) {
    const code = (current as { code?: unknown }).code;
    const fromRedis =
      /redis/i.test(current.stack ?? '') || CONNECTION_ERROR_NAMES.has(current.name);
    if (
      (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) ||
      CONNECTION_ERROR_NAMES.has(current.name) ||
      CONNECTION_ERROR_MESSAGES.some((pattern) => pattern.test((current as Error).message))
    ) {
      return fromRedis ? 'Redis' : 'MySQL';
    }
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}
