import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

import { HeaderMap, type ApolloServer } from '@apollo/server';
import { getOperationAST, parse } from 'graphql';

import type { Logger } from '../logger.js';
import type { CachedAnswer, ResponseCache } from './response-cache.js';

/** Requests with a larger body are refused before parsing: no query needs more. */
export const MAX_BODY_BYTES = 100 * 1024;

export interface HttpServerOptions<Context extends object> {
  apollo: ApolloServer<Context>;
  buildContext: (request: IncomingMessage, requestId: string) => Promise<Context>;
  /** Resolves when MySQL and Redis answer and migrations are applied; throws with a reason otherwise. */
  checkReadiness: () => Promise<void>;
  logger: Logger;
  /** Serves repeated public requests from memory; see response-cache.ts. */
  responseCache?: ResponseCache;
  /** Browser origins allowed to call /graphql; others get no CORS headers. */
  corsOrigins?: readonly string[];
  /** Prometheus exposition for GET /metrics. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
  /** Told of every request answered from the cache (they never reach Apollo or its plugins). */
  onCacheHit?: (hit: { requestId: string; operationName: string; seconds: number }) => void;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A plain node:http server in front of Apollo (Apollo's own integration contract, without a web
 * framework): `/graphql`, plus `/healthz` and `/readyz` for load balancers.
 */
export interface HttpServer {
  server: Server;
  /** Resolves when no request handler is running (one may outlive its client's connection). */
  whenIdle(): Promise<void>;
}

export function createHttpServer<Context extends object>(
  options: HttpServerOptions<Context>,
): HttpServer {
  const { apollo, buildContext, checkReadiness, logger, responseCache } = options;
  const corsOrigins = new Set(options.corsOrigins ?? []);
  /** Answers being computed for cacheable requests, shared with identical requests meanwhile. */
  const inFlightAnswers = new Map<string, Promise<CachedAnswer | undefined>>();

  /** CORS for configured browser origins only; the mini-program's wx.request needs none. */
  function allowOrigin(request: IncomingMessage, response: ServerResponse): void {
    const origin = headerValue(request, 'origin');
    response.setHeader('vary', 'Origin');
    if (origin && corsOrigins.has(origin)) {
      response.setHeader('access-control-allow-origin', origin);
    }
  }

  async function handleGraphQL(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
  ): Promise<void> {
    const started = performance.now();
    const requestId = headerValue(request, 'x-request-id') ?? randomUUID();
    allowOrigin(request, response);
    if (request.method === 'OPTIONS') {
      response.statusCode = 204;
      if (response.hasHeader('access-control-allow-origin')) {
        response.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
        response.setHeader(
          'access-control-allow-headers',
          'content-type, authorization, apollo-require-preflight, x-apollo-operation-name, x-request-id',
        );
        response.setHeader('access-control-max-age', '600');
      }
      response.end();
      return;
    }
    const contentType = headerValue(request, 'content-type') ?? '';
    const bodyText = request.method === 'POST' ? await readBody(request) : undefined;
    // Only anonymous JSON POSTs are shared: an admin's answer never comes from or goes to the cache.
    const cacheKey =
      responseCache &&
      bodyText !== undefined &&
      !request.headers.authorization &&
      contentType.includes('application/json')
        ? `${headerValue(request, 'accept') ?? ''}\n${bodyText}`
        : undefined;
    const sendCached = (answer: CachedAnswer) => {
      closeIfStopping(response);
      response.statusCode = 200;
      response.setHeader('content-type', answer.contentType);
      response.setHeader('x-request-id', requestId);
      response.end(answer.body);
      options.onCacheHit?.({
        requestId,
        operationName: answer.operationName,
        seconds: (performance.now() - started) / 1000,
      });
    };
    let settleShared: ((answer: CachedAnswer | undefined) => void) | undefined;
    const generation = responseCache?.generation() ?? 0;
    // Keyed by generation too: a request that arrives after a data change never waits for an
    // answer that was started before it.
    const flightKey = `${generation}\n${cacheKey}`;
    if (cacheKey !== undefined) {
      const hit = responseCache!.get(cacheKey);
      if (hit) return sendCached(hit);
      // The same request already being computed (say, just after the cache was emptied): wait for
      // that answer instead of computing it once per waiting client.
      const shared = inFlightAnswers.get(flightKey);
      if (shared) {
        const answer = await shared;
        if (answer) return sendCached(answer);
      } else {
        inFlightAnswers.set(
          flightKey,
          new Promise((resolve) => {
            settleShared = resolve;
          }),
        );
      }
    }
    try {
      await computeAnswer(request, response, url, requestId, bodyText, contentType, {
        cacheKey,
        generation,
        share: (answer) => settleShared?.(answer),
      });
    } finally {
      if (settleShared) {
        settleShared(undefined);
        inFlightAnswers.delete(flightKey);
      }
    }
  }

  async function computeAnswer(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    requestId: string,
    bodyText: string | undefined,
    contentType: string,
    caching: {
      cacheKey: string | undefined;
      generation: number;
      share: (answer: CachedAnswer) => void;
    },
  ): Promise<void> {
    const { cacheKey, generation, share } = caching;

    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const body = bodyText === undefined ? undefined : parseBody(bodyText, contentType);
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: request.method ?? 'GET', headers, search: url.search, body },
      context: () => buildContext(request, requestId),
    });
    closeIfStopping(response);
    response.statusCode = result.status ?? 200;
    response.setHeader('x-request-id', requestId);
    for (const [key, value] of result.headers) response.setHeader(key, value);
    if (result.body.kind === 'complete') {
      response.end(result.body.string);
      if (
        cacheKey !== undefined &&
        response.statusCode === 200 &&
        isErrorFree(result.body.string)
      ) {
        const answerType = result.headers.get('content-type') ?? 'application/json; charset=utf-8';
        const answer = {
          body: result.body.string,
          contentType: answerType,
          operationName: operationNameOf(body),
        };
        responseCache!.set(cacheKey, answer, generation);
        share(answer);
      }
      return;
    }
    for await (const chunk of result.body.asyncIterator) response.write(chunk);
    response.end();
  }

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname === '/graphql') return handleGraphQL(request, response, url);
    if (url.pathname === '/healthz' && request.method === 'GET')
      return send(response, 200, { status: 'ok' });
    if (url.pathname === '/metrics' && request.method === 'GET' && options.metrics) {
      const { contentType, body } = await options.metrics();
      response.statusCode = 200;
      response.setHeader('content-type', contentType);
      response.end(body);
      return;
    }
    if (url.pathname === '/readyz' && request.method === 'GET') {
      try {
        await checkReadiness();
        return send(response, 200, { status: 'ready' });
      } catch (error) {
        return send(response, 503, { status: 'not ready', reason: (error as Error).message });
      }
    }
    return send(response, 404, { error: 'Not found. GraphQL is served at /graphql' });
  }

  /**
   * Once the server stopped listening (shutdown), answers carry `Connection: close`, so keep-alive
   * clients and proxies move to another instance instead of reusing this socket.
   */
  function closeIfStopping(response: ServerResponse): void {
    if (!server.listening && !response.headersSent) response.setHeader('connection', 'close');
  }

  const send = (response: ServerResponse, status: number, payload: unknown) => {
    closeIfStopping(response);
    sendJson(response, status, payload);
  };

  // Handlers still running, for shutdown: a client that hung up does not end its request's work.
  let active = 0;
  let idleWaiters: Array<() => void> = [];
  const settled = () => {
    active -= 1;
    if (active === 0) {
      for (const resolve of idleWaiters) resolve();
      idleWaiters = [];
    }
  };

  const server = createServer((request, response) => {
    active += 1;
    route(request, response)
      .catch((error: unknown) => {
        if (error instanceof HttpError) {
          send(response, error.status, {
            errors: [{ message: error.message, extensions: { code: 'BAD_REQUEST' } }],
          });
          return;
        }
        logger.error({ err: error }, 'unhandled error serving a request');
        if (!response.headersSent)
          send(response, 500, { errors: [{ message: 'Internal server error' }] });
        else response.destroy();
      })
      .finally(settled);
  });
  return {
    server,
    whenIdle: () =>
      active === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve)),
  };
}

function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) {
    request.resume();
    throw new HttpError(413, `Request body larger than ${MAX_BODY_BYTES} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new HttpError(413, `Request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Apollo's CSRF prevention judges the content type; only JSON bodies are parsed here. */
function parseBody(text: string, contentType: string): unknown {
  if (!contentType.includes('application/json')) return text;
  if (text.length === 0) throw new HttpError(400, 'Empty JSON body');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'Request body is not valid JSON');
  }
}

/**
 * The operation's name as Apollo reports it (`anonymous` when it has none). Worked out once, when
 * an answer is stored; the request already ran without errors, so its query parses.
 */
function operationNameOf(body: unknown): string {
  const { query, operationName } = (body ?? {}) as { query?: unknown; operationName?: unknown };
  if (typeof query !== 'string') return 'anonymous';
  const chosen = typeof operationName === 'string' ? operationName : null;
  return getOperationAST(parse(query), chosen)?.name?.value ?? 'anonymous';
}

/** Only complete successes are cached; an answer with any error is computed again next time. */
function isErrorFree(answer: string): boolean {
  try {
    const parsed = JSON.parse(answer) as { errors?: unknown };
    return parsed.errors === undefined;
  } catch {
    return false;
  }
}

function sendJson(response: ServerResponse, status: number, payload: unknown): void {
  response.statusCode = status;
  response.setHeader('content-type', 'application/json; charset=utf-8');
  response.end(JSON.stringify(payload));
}
