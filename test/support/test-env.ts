/**
 * Where tests put their data: a database of their own (never a user's `wxlive`) and a Redis
 * logical database of their own. Override with TEST_DATABASE_URL / TEST_REDIS_URL.
 */
export const TEST_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/wxlive_test';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/14';
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';
