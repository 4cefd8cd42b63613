import { sql, type SQL } from 'drizzle-orm';
import { MySqlDialect } from 'drizzle-orm/mysql-core';
import { drizzle } from 'drizzle-orm/mysql2';
import mysql from 'mysql2';
import { describe, expect, it } from 'vitest';

import { bulkValues } from './bulk-values.js';
import { connectionOptions } from './client.js';
import { rooms, type NewRoomRow } from './schema.js';

/**
 * `bulkValues` stands in for drizzle's insert builder on the sync's hot path. drizzle sends its
 * statements through mysql2's `query`, which inlines the parameters client-side; so the text MySQL
 * receives from the builder is its SQL with the parameters formatted as the pool formats them.
 * Both must be the same text, byte for byte, for the same rows.
 */
const casing = 'snake_case';
// A session-less drizzle: it builds statements and never connects.
const db = drizzle.mock({ casing });
const dialect = new MySqlDialect({ casing });
const { timezone } = connectionOptions('mysql://root@127.0.0.1:3306/wxlive');

/** The statement text as mysql2 sends it: parameters escaped in place, dates in the pool's zone. */
function asSent(query: { sql: string; params: unknown[] }): string {
  return mysql.format(
    query.sql,
    query.params as Parameters<typeof mysql.format>[1],
    false,
    timezone,
  );
}

const onDuplicate = {
  builder: { name: sql`values(${sql.identifier('name')})` },
  text: sql.raw('`name` = values(`name`)'),
};

const bulkStatement = (rows: NewRoomRow[]): string =>
  asSent(
    dialect.sqlToQuery(
      sql`insert into ${rooms} ${bulkValues(rooms, rows)} on duplicate key update ${onDuplicate.text}` as SQL,
    ),
  );

const builderStatement = (rows: NewRoomRow[]): string =>
  asSent(db.insert(rooms).values(rows).onDuplicateKeyUpdate({ set: onDuplicate.builder }).toSQL());

const at = (iso: string) => new Date(iso);

function room(overrides: Partial<NewRoomRow> = {}): NewRoomRow {
  return {
    appId: 'wx1234567890abcdef',
    roomId: 1,
    name: 'plain room',
    coverImg: 'https://mmbiz.qpic.cn/cover.jpg',
    shareImg: 'https://mmbiz.qpic.cn/share.jpg',
    liveStatus: 101,
    startTime: at('2026-05-01T12:00:00.000Z'),
    endTime: at('2026-05-01T14:30:00.250Z'),
    anchorName: 'anchor',
    goods: [],
    replays: [],
    contentHash: 'a'.repeat(64),
    createdAt: at('2026-05-01T00:00:00.000Z'),
    updatedAt: at('2026-05-01T00:00:00.000Z'),
    ...overrides,
  };
}

const awkwardRows: NewRoomRow[] = [
  room(),
  room({
    roomId: 2,
    name: `It's "live" \\ back\\slash; drop table rooms; --`,
    anchorName: 'O\'Brien \\"quoted\\"',
    anchorImg: null,
    feedsImg: 'line\nbreak\ttab\r\0nul',
    createrOpenid: '',
    archivedAt: null,
    replaysCheckedAt: at('2026-05-02T03:04:05.678Z'),
  }),
  room({
    roomId: 3,
    name: '直播间 🎉 emoji 👩‍👩‍👧 and 𝄞',
    anchorName: '主播',
    anchorImg: "https://example.com/a.png?x=1&y='2'",
    liveType: 1,
    closeLike: true,
    closeGoods: false,
    closeReplay: true,
    isFeedsPublic: true,
    pinned: true,
    goods: [
      {
        goodsId: 7,
        name: 'tea "premium" \\ 茶 🍵',
        coverImg: 'https://example.com/g.png',
        url: "pages/goods?id=7&ref='live'",
        price: 1999,
        price2: 0,
        priceType: 1,
        thirdPartyAppid: '',
      },
    ],
    replays: [
      {
        mediaUrl: 'https://example.com/r.mp4',
        createTime: '2026-05-01T14:31:00.000Z',
        expireTime: null,
      },
    ],
    archivedAt: at('2026-06-01T00:00:00.001Z'),
    replaysFirstCheckedAt: null,
  }),
];

describe('bulkValues', () => {
  it('writes the same statement as drizzle’s insert builder for one plain row', () => {
    expect(bulkStatement([room()])).toBe(builderStatement([room()]));
  });

  it('writes the same statement for rows with quotes, backslashes, emoji, NULLs, dates and JSON', () => {
    const sent = bulkStatement(awkwardRows);
    expect(sent).toBe(builderStatement(awkwardRows));
    // The comparison means something only if the awkward values made it into the text.
    expect(sent).toContain('It\\\'s \\"live\\" \\\\ back\\\\slash');
    expect(sent).toContain('👩‍👩‍👧');
    expect(sent).toContain("'2026-06-01 00:00:00.001'");
    expect(sent).toContain('NULL');
    expect(sent).toContain('default');
  });

  it('writes the column default where a row leaves a value out, as the builder does', () => {
    const sent = bulkStatement([room({ roomId: 4 })]);
    expect(sent).toBe(builderStatement([room({ roomId: 4 })]));
    // pinned, feedsImg and the replay check times are not in the row.
    expect(sent.match(/\bdefault\b/g)?.length).toBeGreaterThanOrEqual(4);
  });
});
