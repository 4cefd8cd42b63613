import type { IncomingMessage } from 'node:http';

/** Requests with a larger body are refused before parsing: no query needs more. */
export const MAX_BODY_BYTES = 100 * 1024;

/** A request refused before it reaches Apollo, answered with `status` and code BAD_REQUEST. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The whole body as text; 413 past MAX_BODY_BYTES, by the declared length or as it arrives. */
export async function readBody(request: IncomingMessage): Promise<string> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) {
    request.resume();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const tooLarge = () => new HttpError(413, `Request body larger than ${MAX_BODY_BYTES} bytes`);

/** Apollo's CSRF prevention judges the content type; only JSON bodies are parsed here. */
export function parseBody(text: string, contentType: string): unknown {
  if (!contentType.includes('application/json')) return text;
  if (text.length === 0) throw new HttpError(400, 'Empty JSON body');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'Request body is not valid JSON');
  }
}
