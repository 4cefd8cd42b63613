import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

import { describe, expect, it } from 'vitest';

import { TEST_REDIS_URL, testDatabaseUrl } from './support/test-env.js';

const run = promisify(execFile);

describe('npm run demo', () => {
  it('migrates, syncs from the bundled simulator and serves rooms over HTTP, ignoring .env', async () => {
    // Run where a .env configures a real service: the demo must not read it (its DATABASE_URL
    // would fill a user's database with simulator rooms). This one also holds a setting the demo
    // would refuse to start with, so reading it shows.
    const cwd = await mkdtemp(join(tmpdir(), 'wxlive-demo-'));
    await writeFile(
      join(cwd, '.env'),
      'DATABASE_URL=mysql://root@127.0.0.1:1/users_real_db\nSYNC_CRON=whenever it likes\n',
    );
    const tsx = resolve('node_modules/.bin/tsx');
    const demo = resolve('src/demo/demo.ts');
    // tsx reads tsconfig.json (decorators) from the working directory unless told where it is.
    const tsconfig = resolve('tsconfig.json');
    const { stdout } = await run(tsx, ['--tsconfig', tsconfig, demo, '--once', '--rooms', '60'], {
      cwd,
      env: {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: testDatabaseUrl(),
        REDIS_URL: TEST_REDIS_URL,
        LOG_LEVEL: 'warn',
      },
      timeout: 60_000,
    }).finally(() => rm(cwd, { recursive: true, force: true }));
    expect(stdout).toMatch(/first sync:\s+60 added/);
    expect(stdout).toMatch(/rooms served:\s+60; first page:/);
    expect(stdout).toMatch(/GraphQL endpoint .*http:\/\/127\.0\.0\.1:\d+\/graphql/);
  });
});
