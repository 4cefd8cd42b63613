import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { parseEnv, promisify } from 'node:util';

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const run = promisify(execFile);

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

describe('the production build and image', () => {
  it('compile no simulator or demo code, not even through an import', async () => {
    // `exclude` only drops files tsc would pick up by itself: a production file importing the
    // simulator would still pull it into dist/. The list of files the build compiles tells.
    const { stdout } = await run('npx', ['tsc', '-p', 'tsconfig.build.json', '--listFilesOnly'], {
      timeout: 60_000,
    });
    const ours = stdout.split('\n').filter((file) => file.includes(`${process.cwd()}/src/`));
    expect(ours.some((file) => file.endsWith('/src/main.ts'))).toBe(true);
    expect(ours.filter((file) => /\/src\/(wechat-sim|demo)\//.test(file))).toEqual([]);
  });

  it('build on the current Node LTS, which engines allows alongside 20 and 22', async () => {
    const dockerfile = await readFile('Dockerfile', 'utf8');
    const bases = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((match) => match[1]);
    expect(bases).toEqual(['node:24-bookworm-slim', 'node:24-bookworm-slim']);
    const { engines } = JSON.parse(await readFile('package.json', 'utf8')) as {
      engines: { node: string };
    };
    expect(engines.node.split('||').map((range) => range.trim())).toEqual([
      '^20.19.0',
      '^22.12.0',
      '>=24.0.0',
    ]);
  });
});
