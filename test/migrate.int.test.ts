import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { connectionOptions, createDb } from '../src/db/client.js';
import { migrateDatabase } from '../src/db/migrate.js';
import { roomContentFromWechat } from '../src/rooms/room.mapper.js';
import { upsertRoomContents } from '../src/rooms/room.repository.js';
import { wechatRoomSchema } from '../src/wechat/wechat.schemas.js';
import { uniqueAppId } from './support/test-app.js';
import { testDatabaseUrl } from './support/test-env.js';

/** Databases of this file's own on the test server, dropped at the end. */
const created: string[] = [];
let server: mysql.Connection;

beforeAll(async () => {
  const { database: _omit, ...options } = connectionOptions(testDatabaseUrl());
  server = await mysql.createConnection(options);
});
afterAll(async () => {
  for (const name of created) await server.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await server.end();
});

function databaseUrl(): { name: string; url: string } {
  const name = `wxlive_migrate_${uniqueAppId()}`;
  created.push(name);
  const url = new URL(testDatabaseUrl());
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

const tableCollations = async (name: string) => {
  const [rows] = await server.query(
    `SELECT table_name AS name, table_collation AS collation FROM information_schema.tables
      WHERE table_schema = ? AND table_name IN ('rooms', 'sync_runs') ORDER BY table_name`,
    [name],
  );
  return rows as Array<{ name: string; collation: string }>;
};

describe('migrateDatabase', () => {
  it('creates a missing database in utf8mb4', async () => {
    const { name, url } = databaseUrl();
    await migrateDatabase(url);
    expect(await tableCollations(name)).toEqual([
      { name: 'rooms', collation: 'utf8mb4_unicode_ci' },
      { name: 'sync_runs', collation: 'utf8mb4_unicode_ci' },
    ]);
  });

  it('creates utf8mb4 tables in a database made beforehand with a latin1 default', async () => {
    const { name, url } = databaseUrl();
    await server.query(`CREATE DATABASE \`${name}\` CHARACTER SET latin1`);
    await migrateDatabase(url);
    expect((await tableCollations(name)).map((table) => table.collation)).toEqual([
      'utf8mb4_unicode_ci',
      'utf8mb4_unicode_ci',
    ]);
    // Stored through the app's own write path, an emoji name comes back intact.
    const handle = createDb(url);
    try {
      const room = wechatRoomSchema.parse({
        roomid: 1,
        name: '直播间 🎉',
        live_status: 101,
        start_time: 1_764_547_200,
        end_time: 1_764_554_400,
      });
      await upsertRoomContents(handle.db, [roomContentFromWechat('wxtest', room)], new Date());
      const [rows] = await handle.pool.query('SELECT name FROM rooms');
      expect(rows).toEqual([{ name: '直播间 🎉' }]);
    } finally {
      await handle.close();
    }
  });

  it('refuses to start on a table that is not utf8mb4, naming it and the fix', async () => {
    const { name, url } = databaseUrl();
    await migrateDatabase(url);
    await server.query(`ALTER TABLE \`${name}\`.rooms CONVERT TO CHARACTER SET latin1`);
    await expect(migrateDatabase(url)).rejects.toThrow(
      /Tables not in utf8mb4.*rooms \(latin1_swedish_ci\).*ALTER TABLE <name> CONVERT TO CHARACTER SET utf8mb4/,
    );
  });
});
