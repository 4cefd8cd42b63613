import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Resolve `graphql` as Node does (its CommonJS entry), the copy type-graphql and Apollo load:
    // Vite would otherwise pick index.mjs for our sources and the two copies would not mix.
    alias: { graphql: 'graphql/index.js' },
  },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['./test/support/global-setup.ts'],
    // Integration tests share one MySQL database and one Redis: one file at a time.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The JSON report is what .ci/run counts; the default reporter is for people.
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-report.json' },
  },
});
