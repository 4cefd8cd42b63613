import { fileURLToPath } from 'node:url';

import { migrate } from 'drizzle-orm/mysql2/migrator';
import mysql from 'mysql2/promise';

import { connectionOptions, createDb, databaseName } from './client.js';

export const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));

/** Creates the database (utf8mb4) when it does not exist yet. */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const { database: _omit, ...serverOptions } = connectionOptions(databaseUrl);
  const connection = await mysql.createConnection(serverOptions);
  try {
    await connection.query(
      `CREATE DATABASE IF NOT EXISTS \`${databaseName(databaseUrl)}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
  } finally {
    await connection.end();
  }
}

/** Creates the database if needed and applies every pending drizzle-kit migration. */
export async function migrateDatabase(databaseUrl: string): Promise<void> {
  await ensureDatabase(databaseUrl);
  const handle = createDb(databaseUrl, { connectionLimit: 1 });
  try {
    await migrate(handle.db, { migrationsFolder });
  } finally {
    await handle.close();
  }
}
