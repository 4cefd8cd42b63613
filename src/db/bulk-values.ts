import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import { toSnakeCase } from 'drizzle-orm/casing';
import type { MySqlTable } from 'drizzle-orm/mysql-core';
import mysql from 'mysql2';

type DriverValue = Parameters<typeof mysql.format>[1];

/** A value left out of a row: the column's default, as drizzle's insert builder writes it. */
const DEFAULT = mysql.raw('default');

/**
 * The `(columns) values (…), (…)` part of a multi-row INSERT, for bulk writes of thousands of rows.
 * Each value goes through its column's own driver mapping (JSON, UTC datetimes) and is escaped by
 * mysql2's `format`, the escaping mysql2 applies to drizzle's parameters anyway; what is skipped is
 * drizzle's per-value Param and SQL-chunk objects. Building and formatting a 500-room chunk this
 * way measured 1.7-2.2x faster than drizzle's insert builder followed by mysql2's formatting: a
 * modest gain, worth it only on the sync's bulk path. bulk-values.test.ts checks that the text
 * sent is the builder's, byte for byte.
 */
export function bulkValues<Table extends MySqlTable>(
  table: Table,
  rows: ReadonlyArray<Table['$inferInsert']>,
): SQL {
  const columns = Object.entries(getTableColumns(table));
  const names = columns.map(
    ([key, column]) => `\`${column.keyAsName ? toSnakeCase(key) : column.name}\``,
  );
  const tuples = rows.map((row) =>
    columns.map(([key, column]): DriverValue => {
      const value = (row as Record<string, unknown>)[key];
      if (value === undefined) return DEFAULT;
      return value === null ? null : (column.mapToDriverValue(value) as DriverValue);
    }),
  );
  // mysql2 expands an array of arrays into "(a, b), (c, d)"; 'Z' writes any Date left as UTC.
  return sql.raw(`(${names.join(', ')}) values ${mysql.format('?', [tuples], false, 'Z')}`);
}
