import type { IncomingMessage, ServerResponse } from 'node:http';

import { headerValue } from './http-messages.js';

const ALLOWED_HEADERS =
  'content-type, authorization, apollo-require-preflight, x-apollo-operation-name, x-request-id';

/**
 * CORS for configured browser origins only; the mini-program's wx.request needs none. The returned
 * function sets the headers of any /graphql answer and answers a preflight (OPTIONS) itself:
 * it returns true then, and the request is done.
 */
export function createCors(
  origins: readonly string[],
): (request: IncomingMessage, response: ServerResponse) => boolean {
  const allowed = new Set(origins);
  return (request, response) => {
    const origin = headerValue(request, 'origin');
    response.setHeader('vary', 'Origin');
    const allowedOrigin = origin && allowed.has(origin) ? origin : undefined;
    if (allowedOrigin) response.setHeader('access-control-allow-origin', allowedOrigin);
    if (request.method !== 'OPTIONS') return false;
    response.statusCode = 204;
    if (allowedOrigin) {
      response.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
      response.setHeader('access-control-allow-headers', ALLOWED_HEADERS);
      response.setHeader('access-control-max-age', '600');
    }
    response.end();
    return true;
  };
}
