import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { HeaderMap, type ApolloServer, type HTTPGraphQLResponse } from '@apollo/server';
import { getOperationAST, parse } from 'graphql';

import { createCors } from './cors.js';
import { headerValue } from './http-messages.js';
import { createInFlightAnswers } from './in-flight-answers.js';
import { parseBody, readBody } from './request-body.js';
import type { CachedAnswer, ResponseCache } from './response-cache.js';

export interface CacheHit {
  requestId: string;
  operationName: string;
  seconds: number;
}

export interface GraphQLHandlerOptions<Context extends object> {
  apollo: ApolloServer<Context>;
  buildContext: (request: IncomingMessage, requestId: string) => Promise<Context>;
  /** Serves repeated public requests from memory; see response-cache.ts. */
  responseCache?: ResponseCache;
  /** Browser origins allowed to call /graphql; others get no CORS headers. */
  corsOrigins?: readonly string[];
  /** Told of every request answered from the cache (they never reach Apollo or its plugins). */
  onCacheHit?: (hit: CacheHit) => void;
  /** Marks an answer `Connection: close` once the server is stopping. */
  closeIfStopping: (response: ServerResponse) => void;
}

export type GraphQLHandler = (
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
) => Promise<void>;

/** One /graphql request being answered: what its steps share. */
interface Exchange {
  request: IncomingMessage;
  response: ServerResponse;
  url: URL;
  requestId: string;
  started: number;
  contentType: string;
  /** The POST body as read; undefined for a GET. */
  bodyText: string | undefined;
}

/** Where a computed answer goes so identical requests need not compute it again. */
interface Keeping {
  cache: ResponseCache;
  key: string;
  /** The cache generation the request started in: an answer computed across a change is not kept. */
  generation: number;
  /** Hands the answer to identical requests waiting for it. */
  publish: (answer: CachedAnswer) => void;
}

/**
 * `/graphql` through Apollo's `executeHTTPGraphQLRequest`, with repeated public requests answered
 * from the response cache before Apollo runs, and identical ones in flight computed once.
 */
export function createGraphQLHandler<Context extends object>(
  options: GraphQLHandlerOptions<Context>,
): GraphQLHandler {
  const { apollo, buildContext, responseCache, closeIfStopping } = options;
  const applyCors = createCors(options.corsOrigins ?? []);
  const inFlight = createInFlightAnswers<CachedAnswer>();

  function sendCached(exchange: Exchange, answer: CachedAnswer): void {
    const { response, requestId, started } = exchange;
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
  }

  async function answerCacheable(
    exchange: Exchange,
    cache: ResponseCache,
    key: string,
  ): Promise<void> {
    const generation = cache.generation();
    const hit = cache.get(key);
    if (hit) return sendCached(exchange, hit);
    // Keyed by generation too: a request that arrives after a data change never waits for an
    // answer that was started before it.
    await inFlight.share(`${generation}\n${key}`, {
      compute: (publish) => computeAnswer(exchange, { cache, key, generation, publish }),
      reuse: (answer) => sendCached(exchange, answer),
    });
  }

  async function computeAnswer(exchange: Exchange, keeping?: Keeping): Promise<void> {
    const { request, response, url, requestId, bodyText, contentType } = exchange;
    const body = bodyText === undefined ? undefined : parseBody(bodyText, contentType);
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: request.method ?? 'GET',
        headers: headerMapOf(request),
        search: url.search,
        body,
      },
      context: () => buildContext(request, requestId),
    });
    closeIfStopping(response);
    response.statusCode = result.status ?? 200;
    response.setHeader('x-request-id', requestId);
    for (const [name, value] of result.headers) response.setHeader(name, value);
    if (result.body.kind === 'complete') {
      response.end(result.body.string);
      if (keeping) keepAnswer(keeping, result, result.body.string, body);
      return;
    }
    for await (const chunk of result.body.asyncIterator) response.write(chunk);
    response.end();
  }

  return async (request, response, url) => {
    const started = performance.now();
    const requestId = headerValue(request, 'x-request-id') ?? randomUUID();
    if (applyCors(request, response)) return;
    const contentType = headerValue(request, 'content-type') ?? '';
    const bodyText = request.method === 'POST' ? await readBody(request) : undefined;
    const exchange = { request, response, url, requestId, started, contentType, bodyText };
    const key = responseCache ? cacheKeyOf(exchange) : undefined;
    if (!responseCache || key === undefined) return computeAnswer(exchange);
    return answerCacheable(exchange, responseCache, key);
  };
}

/**
 * Only anonymous JSON POSTs are shared, keyed by the Accept header and the body: an admin's answer
 * never comes from or goes to the cache.
 */
function cacheKeyOf({ request, bodyText, contentType }: Exchange): string | undefined {
  if (bodyText === undefined || request.headers.authorization) return undefined;
  if (!contentType.includes('application/json')) return undefined;
  return `${headerValue(request, 'accept') ?? ''}\n${bodyText}`;
}

/** Keeps a successful answer for identical requests: in the cache, and for those waiting now. */
function keepAnswer(
  keeping: Keeping,
  result: HTTPGraphQLResponse,
  text: string,
  requestBody: unknown,
): void {
  if ((result.status ?? 200) !== 200 || !isErrorFree(text)) return;
  const answer: CachedAnswer = {
    body: text,
    contentType: result.headers.get('content-type') ?? 'application/json; charset=utf-8',
    operationName: operationNameOf(requestBody),
  };
  keeping.cache.set(keeping.key, answer, keeping.generation);
  keeping.publish(answer);
}

function headerMapOf(request: IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
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
