import type { IncomingMessage, ServerResponse } from 'node:http';

/** A parsed JSON answer body; WeChat answers are always JSON objects. */
export type WireBody = Record<string, unknown>;

/** A control call the simulator refuses (unknown room, duplicate id); `status` is its HTTP answer. */
export class SimControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'SimControlError';
  }
}

export class BodyTooLargeError extends Error {
  constructor(limit: number) {
    super(`request body larger than ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

export async function readBody(req: IncomingMessage, limitBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limitBytes) throw new BodyTooLargeError(limitBytes);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `undefined` when the text is not JSON, so callers can answer their own "bad format" error. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Writes unless the client or `close()` already tore the socket down (hung answers outlive both). */
export function sendRaw(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
): void {
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendRaw(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
}
