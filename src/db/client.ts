import { drizzle, type MySql2Database } from 'drizzle-orm/mysql2';
import mysql, { type Pool, type PoolOptions } from 'mysql2/promise';

import * as schema from './schema.js';

export type Database = MySql2Database<typeof schema>;

export interface DbHandle {
  db: Database;
  pool: Pool;
  close(): Promise<void>;
}

export interface CreateDbOptions {
  connectionLimit?: number;
  /** Sees every statement drizzle sends (the benchmark EXPLAINs them). */
  logQuery?: (query: string, params: unknown[]) => void;
}

/** Connection options shared by the pool and the one-off admin connection. */
export function connectionOptions(databaseUrl: string): PoolOptions {
  const url = new URL(databaseUrl);
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : 3306,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: databaseName(databaseUrl),
    // Room names carry emoji; instants are stored and read as UTC, never in the server's zone.
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    supportBigNumbers: true,
  };
}

export function databaseName(databaseUrl: string): string {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_]+$/.test(name)) {
    throw new Error('DATABASE_URL must name a database made of letters, digits and underscores');
  }
  return name;
}

export function createDb(databaseUrl: string, options: CreateDbOptions = {}): DbHandle {
  const pool = mysql.createPool({
    ...connectionOptions(databaseUrl),
    connectionLimit: options.connectionLimit ?? 10,
    waitForConnections: true,
    enableKeepAlive: true,
    // Fail fast when MySQL is gone instead of queueing requests forever.
    connectTimeout: 5_000,
    queueLimit: 500,
  });
  // Session zone UTC too, so NOW() and friends agree with the values the app writes.
  pool.on('connection', (connection) => {
    connection.query("SET time_zone = '+00:00'");
  });
  const logQuery = options.logQuery;
  const db = drizzle({
    client: pool,
    schema,
    mode: 'default',
    casing: 'snake_case',
    ...(logQuery ? { logger: { logQuery } } : {}),
  });
  return {
    db,
    pool,
    close: () => pool.end(),
  };
}
