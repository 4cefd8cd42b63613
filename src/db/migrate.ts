import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { sql } from 'drizzle-orm';
import { migrate } from 'drizzle-orm/mysql2/migrator';
import mysql from 'mysql2/promise';

import {
  connectionOptions,
  createDb,
  databaseName,
  type Database,
  type DbHandle,
} from './client.js';

export const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));

/** How long an instance waits for another one that is migrating the same database. */
const MIGRATION_LOCK_TIMEOUT_SECONDS = 120;

const UTF8MB4 = 'CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci';

/**
 * Creates the database (utf8mb4) when it does not exist yet. One created beforehand with another
 * default (a DBA's, a server default of latin1) gets utf8mb4 as its default, so the tables the
 * migrations create can hold emoji: drizzle-kit's CREATE TABLE names no character set.
 */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const { database: _omit, ...serverOptions } = connectionOptions(databaseUrl);
  const name = databaseName(databaseUrl);
  const connection = await mysql.createConnection(serverOptions);
  try {
    await connection.query(`CREATE DATABASE IF NOT EXISTS \`${name}\` ${UTF8MB4}`);
    const [rows] = await connection.query(
      'SELECT default_character_set_name AS charset FROM information_schema.schemata WHERE schema_name = ?',
      [name],
    );
    if ((rows as Array<{ charset: string }>)[0]?.charset !== 'utf8mb4') {
      await connection.query(`ALTER DATABASE \`${name}\` ${UTF8MB4}`);
    }
  } finally {
    await connection.end();
  }
}

/** Fails start-up when a table holding WeChat's text is not utf8mb4 (room names carry emoji). */
async function assertTablesAreUtf8mb4(handle: DbHandle): Promise<void> {
  const [rows] = await handle.pool.query(
    `SELECT table_name AS name, table_collation AS collation FROM information_schema.tables
      WHERE table_schema = DATABASE() AND table_name IN ('rooms', 'sync_runs')`,
  );
  const wrong = (rows as Array<{ name: string; collation: string | null }>).filter(
    (table) => !table.collation?.startsWith('utf8mb4'),
  );
  if (wrong.length > 0) {
    const listed = wrong.map((table) => `${table.name} (${table.collation ?? 'unknown'})`);
    throw new Error(
      `Tables not in utf8mb4, so emoji in room names cannot be stored: ${listed.join(', ')}. ` +
        `Convert each with: ALTER TABLE <name> CONVERT TO ${UTF8MB4}`,
    );
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
      await assertTablesAreUtf8mb4(handle);
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
