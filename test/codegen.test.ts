import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { generate, loadCodegenConfig } from '@graphql-codegen/cli';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const GENERATED = 'client/generated/graphql.ts';

describe('mini-program client', () => {
  it(`${GENERATED} matches schema.graphql and client/operations (run \`npm run codegen\`)`, async () => {
    const { config } = await loadCodegenConfig({ configFilePath: 'codegen.yml' });
    // `false`: generate in memory, write nothing.
    const outputs = (await generate({ ...config, silent: true }, false)) as Array<{
      filename: string;
      content: string;
    }>;
    expect(outputs.map((output) => output.filename)).toEqual([GENERATED]);
    expect(await readFile(GENERATED, 'utf8'), `${GENERATED} is stale: run npm run codegen`).toBe(
      outputs[0]!.content,
    );
  });

  it('compiles as a mini-program copy would: ES2018, no DOM or Node types, no runtime imports but its own', async () => {
    // The command client/README.md gives JavaScript mini-programs.
    const out = await mkdtemp(join(tmpdir(), 'wxlive-client-'));
    try {
      await run(
        'npx',
        [
          'tsc',
          '--ignoreConfig',
          '--strict',
          '--target',
          'ES2018',
          '--lib',
          'ES2018',
          '--types',
          '',
          '--module',
          'commonjs',
          '--outDir',
          out,
          'client/wxlive-client.ts',
          GENERATED,
        ],
        { timeout: 60_000 },
      ).catch((error: Error & { stdout?: string }) => {
        throw new Error(`tsc failed:\n${error.stdout ?? error.message}`);
      });
      const emitted = (await readdir(out, { recursive: true })).filter((file) =>
        file.endsWith('.js'),
      );
      expect(emitted.sort()).toEqual([join('generated', 'graphql.js'), 'wxlive-client.js']);
      const requires: string[] = [];
      for (const file of emitted) {
        const code = await readFile(join(out, file), 'utf8');
        for (const match of code.matchAll(/require\(["']([^"']+)["']\)/g)) requires.push(match[1]!);
      }
      // The generated file imports only types: no `graphql` or typed-document-node at run time.
      expect(requires).toEqual(['./generated/graphql.js']);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
