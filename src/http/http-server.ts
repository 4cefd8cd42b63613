import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

import type { Logger } from '../logger.js';
import { createGraphQLHandler, type GraphQLHandlerOptions } from './graphql-handler.js';
import { jsonAnswer, type PlainAnswer } from './http-messages.js';
import { answerProbe, type Probes } from './probes.js';
import { HttpError } from './request-body.js';

export interface HttpServerOptions<Context extends object>
  extends Omit<GraphQLHandlerOptions<Context>, 'closeIfStopping'>, Probes {
  logger: Logger;
}

/**
 * A plain node:http server in front of Apollo (Apollo's own integration contract, without a web
 * framework): `/graphql`, plus `/healthz`, `/readyz` and `/metrics` for load balancers and
 * Prometheus.
 */
export interface HttpServer {
  server: Server;
  /** Resolves when no request handler is running (one may outlive its client's connection). */
  whenIdle(): Promise<void>;
}

export function createHttpServer<Context extends object>(
  options: HttpServerOptions<Context>,
): HttpServer {
  const { logger } = options;
  const requests = trackRequests();

  /**
   * Once the server stopped listening (shutdown), answers carry `Connection: close`, so keep-alive
   * clients and proxies move to another instance instead of reusing this socket.
   */
  function closeIfStopping(response: ServerResponse): void {
    if (!server.listening && !response.headersSent) response.setHeader('connection', 'close');
  }

  function send(response: ServerResponse, answer: PlainAnswer): void {
    closeIfStopping(response);
    response.statusCode = answer.status;
    response.setHeader('content-type', answer.contentType);
    response.end(answer.body);
  }

  const handleGraphQL = createGraphQLHandler({ ...options, closeIfStopping });

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname === '/graphql') return handleGraphQL(request, response, url);
    const probe = request.method === 'GET' ? await answerProbe(url.pathname, options) : undefined;
    send(response, probe ?? jsonAnswer(404, { error: 'Not found. GraphQL is served at /graphql' }));
  }

  function answerFailure(response: ServerResponse, error: unknown): void {
    if (error instanceof HttpError) {
      const refusal = { message: error.message, extensions: { code: 'BAD_REQUEST' } };
      return send(response, jsonAnswer(error.status, { errors: [refusal] }));
    }
    logger.error({ err: error }, 'unhandled error serving a request');
    if (response.headersSent) return void response.destroy();
    send(response, jsonAnswer(500, { errors: [{ message: 'Internal server error' }] }));
  }

  const server = createServer((request, response) => {
    requests.started();
    route(request, response)
      .catch((error: unknown) => answerFailure(response, error))
      .finally(requests.settled);
  });
  return { server, whenIdle: requests.whenIdle };
}

/** Handlers still running, for shutdown: a client that hung up does not end its request's work. */
function trackRequests() {
  let active = 0;
  let idleWaiters: Array<() => void> = [];
  return {
    started: () => {
      active += 1;
    },
    settled: () => {
      active -= 1;
      if (active > 0) return;
      for (const resolve of idleWaiters) resolve();
      idleWaiters = [];
    },
    whenIdle: () =>
      active === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve)),
  };
}
