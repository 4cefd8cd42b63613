import { createServer } from 'node:net';

import { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';

import { AppError, classifyError } from './errors.js';

/** A port nothing listens on: taken from the OS, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('classifyError', () => {
  it('keeps an AppError’s code and message', () => {
    expect(classifyError(new AppError('NOT_FOUND', 'Room 7 is not known'))).toEqual({
      code: 'NOT_FOUND',
      message: 'Room 7 is not known',
      errcode: undefined,
      safeToShow: true,
    });
  });

  // The errors the real clients throw, not hand-made look-alikes.
  it('reads a single Redis that refuses connections as Redis unavailable', async () => {
    const redis = new Redis({
      port: await closedPort(),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    redis.on('error', () => undefined);
    const error = await redis.get('x').catch((caught: unknown) => caught);
    redis.disconnect();
    expect(classifyError(error)).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      message: 'Redis is unavailable; try again shortly',
    });
  });

  it('reads an unreachable Redis Cluster as Redis unavailable', async () => {
    const cluster = new Cluster([{ host: '127.0.0.1', port: await closedPort() }], {
      enableOfflineQueue: false,
      clusterRetryStrategy: () => null,
    });
    cluster.on('error', () => undefined);
    const error = await cluster.get('x').catch((caught: unknown) => caught);
    cluster.disconnect();
    expect(classifyError(error)).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      message: 'Redis is unavailable; try again shortly',
    });
  });

  it('masks anything unexpected', () => {
    expect(classifyError(new Error("ER_PARSE_ERROR near 'select * from'"))).toMatchObject({
      code: 'INTERNAL_SERVER_ERROR',
      safeToShow: false,
    });
  });
});
