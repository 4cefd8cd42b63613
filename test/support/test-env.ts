import { inject } from 'vitest';

/**
 * Where tests put their data: a database of their own, created per test run by the global setup
 * (so two runs on one machine never share one, and a user's `wxlive` is never touched), and a Redis
 * logical database of their own. Override the server with TEST_DATABASE_URL / TEST_REDIS_URL.
 */
export const TEST_DATABASE_SERVER_URL =
  process.env.TEST_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/wxlive_test';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/14';
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';

declare module 'vitest' {
  export interface ProvidedContext {
    testDatabaseUrl: string;
  }
}

/** The URL of this run's database, as created and migrated by the global setup. */
export const testDatabaseUrl = (): string => inject('testDatabaseUrl');
