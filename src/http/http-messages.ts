import type { IncomingMessage } from 'node:http';

/** A whole answer known up front: a probe's, or a refusal. */
export interface PlainAnswer {
  status: number;
  contentType: string;
  body: string;
}

export function jsonAnswer(status: number, payload: unknown): PlainAnswer {
  return { status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(payload) };
}

/** A request header's (first) value. */
export function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
