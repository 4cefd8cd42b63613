import mysql from 'mysql2/promise';
import { Redis } from 'ioredis';
import type { TestProject } from 'vitest/node';

import { connectionOptions, databaseName } from '../../src/db/client.js';
import { migrateDatabase } from '../../src/db/migrate.js';
import { TEST_DATABASE_SERVER_URL, TEST_REDIS_URL } from './test-env.js';

/**
 * Creates this run's database (`<name>_<pid>`) from the committed migrations and drops it at the
 * end. Fails loudly (rather than skipping tests) when MariaDB or Redis does not answer.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const base = databaseName(TEST_DATABASE_SERVER_URL);
  if (!base.endsWith('_test'))
    throw new Error(`refusing to use ${base}: test databases end in _test`);
  const url = new URL(TEST_DATABASE_SERVER_URL);
  url.pathname = `/${base}_${process.pid}`;
  const runDatabaseUrl = url.toString();

  const { database: _omit, ...server } = connectionOptions(runDatabaseUrl);
  const dropRunDatabase = async () => {
    const connection = await mysql.createConnection(server);
    await connection.query(`DROP DATABASE IF EXISTS \`${databaseName(runDatabaseUrl)}\``);
    await connection.end();
  };
  await dropRunDatabase().catch((error: Error) => {
    throw new Error(`MariaDB/MySQL is not answering at ${url.host}: ${error.message}`, {
      cause: error,
    });
  });
  await migrateDatabase(runDatabaseUrl);

  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(`Redis is not answering at ${TEST_REDIS_URL}: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    redis.disconnect();
  }

  project.provide('testDatabaseUrl', runDatabaseUrl);
  return dropRunDatabase;
}
