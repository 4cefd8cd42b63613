import mysql from 'mysql2/promise';
import { Redis } from 'ioredis';

import { connectionOptions, databaseName } from '../../src/db/client.js';
import { migrateDatabase } from '../../src/db/migrate.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from './test-env.js';

/**
 * Recreates the test database from the committed migrations and empties the test Redis database.
 * Fails loudly (rather than skipping tests) when MariaDB or Redis does not answer.
 */
export default async function setup(): Promise<void> {
  const name = databaseName(TEST_DATABASE_URL);
  if (!name.endsWith('_test'))
    throw new Error(`refusing to reset ${name}: test databases end in _test`);
  const { database: _omit, ...server } = connectionOptions(TEST_DATABASE_URL);
  const connection = await mysql.createConnection(server).catch((error: Error) => {
    throw new Error(`MariaDB/MySQL is not answering at ${TEST_DATABASE_URL}: ${error.message}`);
  });
  await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await connection.end();
  await migrateDatabase(TEST_DATABASE_URL);

  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    await redis.flushdb();
  } catch (error) {
    throw new Error(`Redis is not answering at ${TEST_REDIS_URL}: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    redis.disconnect();
  }
}
