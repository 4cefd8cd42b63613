import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import { describe, expect, it } from 'vitest';

import { TEST_REDIS_URL, testDatabaseUrl } from './support/test-env.js';

const run = promisify(execFile);

describe('npm run demo', () => {
  it('migrates, syncs from the bundled simulator and serves rooms over HTTP', async () => {
    const { stdout } = await run('npx', ['tsx', 'src/demo/demo.ts', '--once', '--rooms', '60'], {
      env: {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: testDatabaseUrl(),
        REDIS_URL: TEST_REDIS_URL,
        LOG_LEVEL: 'warn',
      },
      timeout: 60_000,
    });
    expect(stdout).toMatch(/first sync:\s+60 added/);
    expect(stdout).toMatch(/rooms served:\s+60; first page:/);
    expect(stdout).toMatch(/GraphQL endpoint .*http:\/\/127\.0\.0\.1:\d+\/graphql/);
  });
});
