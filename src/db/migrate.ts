import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { sql } from 'drizzle-orm';
import { migrate } from 'drizzle-orm/mysql2/migrator';
import mysql from 'mysql2/promise';

import { connectionOptions, createDb, databaseName, type Database } from './client.js';

export const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));

/** How long an instance waits for another one that is migrating the same database. */
const MIGRATION_LOCK_TIMEOUT_SECONDS = 120;

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

/**
 * Creates the database if needed and applies every pending drizzle-kit migration. Instances that
 * start together take turns (a MySQL named lock): schema changes cannot be rolled back, so two
 * must never apply the same migration at once.
 */
export async function migrateDatabase(databaseUrl: string): Promise<void> {
  await ensureDatabase(databaseUrl);
  // One connection, so the named lock and the migration share a session.
  const handle = createDb(databaseUrl, { connectionLimit: 1 });
  const lockName = `wxlive_migrate_${databaseName(databaseUrl)}`;
  try {
    const [rows] = await handle.pool.query('SELECT GET_LOCK(?, ?) AS acquired', [
      lockName,
      MIGRATION_LOCK_TIMEOUT_SECONDS,
    ]);
    if ((rows as Array<{ acquired: number | null }>)[0]?.acquired !== 1) {
      throw new Error(
        `Timed out waiting for another instance to finish migrating ${databaseName(databaseUrl)}`,
      );
    }
    try {
      await migrate(handle.db, { migrationsFolder });
    } finally {
      await handle.pool.query('SELECT RELEASE_LOCK(?)', [lockName]);
    }
  } finally {
    await handle.close();
  }
}

const expectedMigrations = (): number => {
  const journal = JSON.parse(readFileSync(`${migrationsFolder}/meta/_journal.json`, 'utf8')) as {
    entries: unknown[];
  };
  return journal.entries.length;
};

/** Migrations this code knows of that the database has not applied (for /readyz). */
export async function countPendingMigrations(db: Database): Promise<number> {
  const [rows] = (await db.execute(
    sql`select count(*) as applied from __drizzle_migrations`,
  )) as unknown as [Array<{ applied: number }>];
  return Math.max(0, expectedMigrations() - Number(rows[0]?.applied ?? 0));
}
