/**
 * A typed wxlive client for WeChat Mini Programs. It depends on nothing but the generated
 * operations next to it and the `wx.request` it is given, so it runs in the mini-program runtime
 * (no fetch, no Node) and in tests (with a stand-in request). It compiles to ES2018 and avoids `?.`
 * and `??` even in TypeScript, in case a mini-program toolchain passes them through to the older
 * JavaScript engines some phones still run.
 */
import {
  RoomCardsDocument,
  RoomDocument,
  RoomsDocument,
  type RoomCardsQuery,
  type RoomCardsQueryVariables,
  type RoomQuery,
  type RoomsQuery,
  type RoomsQueryVariables,
} from './generated/graphql.js';

/** The part of `wx.request`'s options this client uses. */
export interface WxRequestOptions {
  url: string;
  method: 'POST';
  header: Record<string, string>;
  /** An object: `wx.request` sends it as JSON because the content type says so. */
  data: Record<string, unknown>;
  /** Milliseconds; `wx.request`'s own default (60 s, or app.json's networkTimeout) when absent. */
  timeout?: number;
  /** Called for every HTTP answer, whatever its status. */
  success(res: { statusCode: number; data: unknown }): void;
  /** Called only when no answer arrived: DNS, TLS, timeout, domain not on the allowlist. */
  fail(err: { errMsg: string }): void;
}

/**
 * A document the client can send: the generated `TypedDocumentString`s fit, and so does any object
 * whose `toString()` gives query text. `__apiType` is never read; it only carries the types.
 */
export interface WxliveDocument<TResult, TVariables> {
  __apiType?: (variables: TVariables) => TResult;
  toString(): string;
}

/** The server's stable `extensions.code` values, plus the ones Apollo adds for malformed requests. */
export type WxliveErrorCode =
  | 'BAD_USER_INPUT'
  | 'UNAUTHENTICATED'
  | 'NOT_FOUND'
  | 'SYNC_IN_PROGRESS'
  | 'QUOTA_EXHAUSTED'
  | 'UPSTREAM_UNAVAILABLE'
  | 'WECHAT_ERROR'
  | 'WECHAT_BAD_RESPONSE'
  | 'LIST_INCOMPLETE'
  | 'INTERNAL_SERVER_ERROR'
  | 'GRAPHQL_PARSE_FAILED'
  | 'GRAPHQL_VALIDATION_FAILED'
  | 'BAD_REQUEST'
  // A code a newer server adds still type-checks; compare it to the ones above.
  | (string & {});

/** One entry of a GraphQL response's `errors`. */
export interface WxliveErrorEntry {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: { code?: string; errcode?: number; [key: string]: unknown };
}

/** The server answered with GraphQL errors. `code` and `errcode` come from the first one. */
export class WxliveGraphQLError extends Error {
  readonly code: WxliveErrorCode;
  /** WeChat's errcode (e.g. 45009, 48001) when the failure came from WeChat. */
  readonly errcode: number | undefined;
  readonly errors: WxliveErrorEntry[];
  readonly statusCode: number;
  /** Whatever data came with the errors; null for this API's queries. */
  readonly data: unknown;

  constructor(errors: WxliveErrorEntry[], statusCode: number, data: unknown) {
    const first = errors[0];
    super(first ? first.message : 'GraphQL error');
    // Keeps `instanceof` working when the mini-program toolchain compiles classes down to ES5.
    Object.setPrototypeOf(this, WxliveGraphQLError.prototype);
    this.name = 'WxliveGraphQLError';
    const extensions = first && first.extensions ? first.extensions : {};
    // The server's own bare 500 carries no code; it means the same as a masked failure.
    this.code = typeof extensions.code === 'string' ? extensions.code : 'INTERNAL_SERVER_ERROR';
    this.errcode = typeof extensions.errcode === 'number' ? extensions.errcode : undefined;
    this.errors = errors;
    this.statusCode = statusCode;
    this.data = data;
  }
}

/** No GraphQL answer: the request failed, or the server answered something that is not GraphQL. */
export class WxliveNetworkError extends Error {
  /** The HTTP status, when an answer arrived (e.g. 404 for a wrong path, 502 from a proxy). */
  readonly statusCode: number | undefined;
  /** `wx.request`'s errMsg, when it failed (e.g. `request:fail timeout`). */
  readonly errMsg: string | undefined;

  constructor(message: string, details: { statusCode?: number; errMsg?: string }) {
    super(message);
    Object.setPrototypeOf(this, WxliveNetworkError.prototype);
    this.name = 'WxliveNetworkError';
    this.statusCode = details.statusCode;
    this.errMsg = details.errMsg;
  }
}

export interface WxliveClientOptions {
  /** The GraphQL URL, e.g. `https://live.example.com/graphql` (its domain must be on the
   * mini-program's request allowlist). */
  endpoint: string;
  /** `wx.request`. Declared as a method so WeChat's own typings of it are accepted as they are. */
  request(options: WxRequestOptions): unknown;
  /** Extra headers on every request. `content-type` is always `application/json`. */
  headers?: Record<string, string>;
  /** Per-request timeout in milliseconds. */
  timeoutMs?: number;
}

// Operations whose variables are all optional may be called without them.
type VariablesArgument<TVariables> = {} extends TVariables
  ? [variables?: TVariables]
  : [variables: TVariables];

export interface WxliveClient {
  /** Sends any typed document and resolves with its `data`; rejects with a Wxlive*Error. */
  execute<TResult, TVariables>(
    document: WxliveDocument<TResult, TVariables>,
    ...variables: VariablesArgument<TVariables>
  ): Promise<TResult>;
  /** A page of rooms with goods and replays. */
  rooms(variables?: RoomsQueryVariables): Promise<RoomsQuery['rooms']>;
  /** A page of rooms with only what a list card shows. */
  roomCards(variables?: RoomCardsQueryVariables): Promise<RoomCardsQuery['rooms']>;
  /** One room, or null when it is unknown or archived. */
  room(roomId: number): Promise<RoomQuery['room']>;
}

export function createWxliveClient(options: WxliveClientOptions): WxliveClient {
  const header: Record<string, string> = {};
  const extra = options.headers || {};
  for (const key of Object.keys(extra)) {
    // Apollo's CSRF prevention accepts a POST only with a JSON (or preflighted) content type.
    if (key.toLowerCase() !== 'content-type') header[key] = extra[key] as string;
  }
  header['content-type'] = 'application/json';

  function execute<TResult, TVariables>(
    document: WxliveDocument<TResult, TVariables>,
    ...rest: VariablesArgument<TVariables>
  ): Promise<TResult> {
    const data: Record<string, unknown> = { query: document.toString() };
    if (rest[0] !== undefined) data.variables = rest[0];
    return new Promise<TResult>((resolve, reject) => {
      const request: WxRequestOptions = {
        url: options.endpoint,
        method: 'POST',
        header,
        data,
        success(res) {
          const outcome = readAnswer<TResult>(res.statusCode, res.data);
          if (outcome.ok) resolve(outcome.data);
          else reject(outcome.error);
        },
        fail(err) {
          const errMsg = err && typeof err.errMsg === 'string' ? err.errMsg : 'request:fail';
          reject(new WxliveNetworkError(`wxlive request failed: ${errMsg}`, { errMsg }));
        },
      };
      if (options.timeoutMs !== undefined) request.timeout = options.timeoutMs;
      options.request(request);
    });
  }

  return {
    execute,
    rooms: (variables) => execute(RoomsDocument, variables).then((data) => data.rooms),
    roomCards: (variables) => execute(RoomCardsDocument, variables).then((data) => data.rooms),
    room: (roomId) => execute(RoomDocument, { roomId }).then((data) => data.room),
  };
}

type Outcome<TResult> = { ok: true; data: TResult } | { ok: false; error: Error };

/**
 * A GraphQL body wins over the HTTP status: Apollo answers 400 with `errors` for bad variables,
 * and those are GraphQL errors with a code, not transport failures.
 */
function readAnswer<TResult>(statusCode: number, raw: unknown): Outcome<TResult> {
  let body = raw;
  // wx.request leaves the body a string when it is not JSON or dataType is not 'json'.
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body) as unknown;
    } catch {
      body = undefined;
    }
  }
  if (isObject(body)) {
    const errors = body.errors;
    if (Array.isArray(errors) && errors.length > 0) {
      const data = body.data === undefined ? null : body.data;
      return { ok: false, error: new WxliveGraphQLError(toEntries(errors), statusCode, data) };
    }
    if (statusCode >= 200 && statusCode < 300 && isObject(body.data)) {
      return { ok: true, data: body.data as TResult };
    }
  }
  return {
    ok: false,
    error: new WxliveNetworkError(`wxlive answered HTTP ${statusCode} without a GraphQL result`, {
      statusCode,
    }),
  };
}

function toEntries(errors: unknown[]): WxliveErrorEntry[] {
  return errors.map((error) =>
    isObject(error) && typeof error.message === 'string'
      ? (error as unknown as WxliveErrorEntry)
      : { message: 'GraphQL error' },
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
