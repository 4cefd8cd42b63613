import { readFile } from 'node:fs/promises';
import { parseEnv } from 'node:util';

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * No container engine runs on this project's machines, so compose.yaml is never started here.
 * These checks keep it from drifting from the settings the service reads.
 */
interface ComposeService {
  environment?: Record<string, string>;
  healthcheck?: { test: unknown };
  depends_on?: Record<string, { condition: string }>;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
}

/** Not passed through on purpose: the stack runs its own single Redis. */
const NOT_FOR_THE_COMPOSE_STACK = new Set([
  'REDIS_SENTINELS',
  'REDIS_SENTINEL_NAME',
  'REDIS_CLUSTER_NODES',
]);

const loadCompose = async () => parse(await readFile('compose.yaml', 'utf8')) as ComposeFile;

describe('compose.yaml', () => {
  it('passes every setting of .env.example to the service container', async () => {
    const compose = await loadCompose();
    const environment = compose.services.wxlive?.environment ?? {};
    const settings = Object.keys(parseEnv(await readFile('.env.example', 'utf8')));
    const missing = settings.filter(
      (key) => !NOT_FOR_THE_COMPOSE_STACK.has(key) && !(key in environment),
    );
    expect(missing).toEqual([]);
  });

  it('runs the service in production against the stack’s own MySQL and Redis', async () => {
    const environment = (await loadCompose()).services.wxlive!.environment!;
    expect(environment.NODE_ENV).toBe('production');
    expect(environment.DATABASE_URL).toMatch(/^mysql:\/\/wxlive:.*@mysql:3306\/wxlive$/);
    expect(environment.REDIS_URL).toBe('redis://redis:6379/0');
  });

  it('gives every service a healthcheck and starts the service once its engines are healthy', async () => {
    const { services } = await loadCompose();
    expect(Object.keys(services).sort()).toEqual(['mysql', 'redis', 'wxlive']);
    for (const service of Object.values(services)) expect(service.healthcheck?.test).toBeTruthy();
    expect(services.wxlive!.depends_on).toEqual({
      mysql: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
  });
});
