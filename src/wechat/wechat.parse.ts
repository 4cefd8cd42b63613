import type { z } from 'zod';

import { WechatResponseShapeError, type WechatEndpoint } from './wechat.errors.js';

/** Validates a WeChat answer, naming the first field that is missing or of the wrong type. */
export function parseWith<Schema extends z.ZodType>(
  schema: Schema,
  body: unknown,
  endpoint: WechatEndpoint,
): z.infer<Schema> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue ? formatPath(issue.path) : '(root)';
  throw new WechatResponseShapeError(field, issue?.message ?? 'invalid', endpoint);
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return (
    path.reduce<string>(
      (text, key) =>
        typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key),
      '',
    ) || '(root)'
  );
}
