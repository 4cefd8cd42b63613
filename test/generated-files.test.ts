import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { describe, expect, it } from 'vitest';

import { buildAppSchema, printAppSchema } from '../src/graphql/schema.js';

const run = promisify(execFile);

describe('committed generated files', () => {
  it('schema.graphql matches the resolvers (run `npm run schema:emit`)', async () => {
    const committed = await readFile('schema.graphql', 'utf8');
    expect(committed).toBe(printAppSchema(await buildAppSchema()));
  });

  it('drizzle/ holds a migration for every change to src/db/schema.ts (run `npm run db:generate`)', async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'wxlive-migrations-'));
    try {
      await cp('drizzle', scratch, { recursive: true });
      const before = await readdir(scratch, { recursive: true });
      await run(
        'npx',
        [
          'drizzle-kit',
          'generate',
          '--dialect',
          'mysql',
          '--schema',
          'src/db/schema.ts',
          '--casing',
          'snake_case',
          '--out',
          scratch,
        ],
        {
          timeout: 60_000,
        },
      );
      expect(await readdir(scratch, { recursive: true })).toEqual(before);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
});
