import { getTableColumns } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';

import { rooms } from '../db/schema.js';
import {
  roomColumnsFromWechat,
  syncedRoomColumns,
  wechatRoomSchema,
  wechatRoomWireSchema,
  wireRoomDefaults,
} from './wechat.schemas.js';

const minimalAnswer = { roomid: 9, name: 'n', live_status: 102, start_time: 60, end_time: 120 };

describe("WeChat's room, defined once", () => {
  it('parses a sparse answer with the defaults and drops fields WeChat adds later', () => {
    const room = wechatRoomSchema.parse({ ...minimalAnswer, brand_new_field: 1 });
    expect(room).toMatchObject({ cover_img: '', goods: [], close_replay: 0, anchor_img: '' });
    expect(room).not.toHaveProperty('brand_new_field');
  });

  it('names the path of a field the service relies on when it is missing or mistyped', () => {
    const result = wechatRoomSchema.safeParse({ ...minimalAnswer, start_time: 'noon' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['start_time']);
    expect(wechatRoomSchema.safeParse({ name: 'n' }).success).toBe(false);
  });

  it('has an exact wire shape that needs every field but anchor_img and refuses unknown keys', () => {
    const wire = { ...wireRoomDefaults(), ...minimalAnswer };
    expect(wechatRoomWireSchema.strict().parse(wire)).toEqual(wire);
    expect(wechatRoomWireSchema.safeParse(minimalAnswer).success).toBe(false);
    expect(wechatRoomWireSchema.strict().safeParse({ ...wire, typo_field: 1 }).success).toBe(false);
  });

  it('maps every field to a column of the rooms table', () => {
    const tableColumns = Object.keys(getTableColumns(rooms));
    for (const column of syncedRoomColumns) expect(tableColumns).toContain(column);
    const columns = roomColumnsFromWechat(
      wechatRoomSchema.parse({ ...minimalAnswer, close_kf: 1, anchor_img: '' }),
    );
    expect(Object.keys(columns)).toEqual(syncedRoomColumns);
    expect(columns).toMatchObject({
      roomId: 9,
      startTime: new Date(60_000),
      closeKf: true,
      closeLike: false,
      anchorImg: null,
    });
  });
});
