import { z } from 'zod';

import { fromUnixSeconds } from './wechat-time.js';

/**
 * The shapes WeChat answers with. WeChat's room (`room_info` item) and its goods are defined once,
 * field by field, below; everything else derives from those definitions:
 * - the parse schema the service reads answers with (`wechatRoomSchema`: extra fields ignored, since
 *   WeChat adds them; a missing or mistyped field we rely on reported by path; fields we keep but can
 *   live without take their `whenMissing` value);
 * - the exact wire shape the simulator sends and its control API accepts (`wechatRoomWireSchema`);
 * - the synced columns and the wire → column mapping (`roomColumnsFromWechat`, `syncedRoomColumns`).
 * A new WeChat field is one entry here, one column in `db/schema.ts` and one GraphQL field.
 */

/** One wire field: its exact type, what to assume when WeChat omits it, its column and conversion. */
export interface WireField<Wire extends z.ZodType, Column extends string, Value> {
  wire: Wire;
  /** Absent: WeChat always sends the field, and an answer without it is malformed. */
  whenMissing?: z.output<Wire>;
  /** On the wire the key may be absent altogether (not only defaulted when parsing). */
  optionalOnWire?: boolean;
  /** How answers are parsed when that is more lenient than the exact wire type (nested objects). */
  parseAs?: z.ZodType<z.output<Wire>, unknown>;
  column: Column;
  toColumn(value: z.output<Wire>): Value;
}

type AnyWireField = WireField<z.ZodType, string, unknown>;

/** Keeps which fields are optional on the wire and which have a default in their types. */
function field<
  Wire extends z.ZodType,
  Column extends string,
  Value = z.output<Wire>,
  Optional extends boolean = false,
  Default extends z.output<Wire> | undefined = undefined,
>(
  spec: WireField<Wire, Column, Value> & { optionalOnWire?: Optional; whenMissing?: Default },
): WireField<Wire, Column, Value> & { optionalOnWire?: Optional; whenMissing?: Default } {
  return spec;
}

const int = z.number().int();
const asIs = <T>(value: T): T => value;
/** WeChat's switches are 0/1 integers; 1 means "on". */
const isOn = (value: number): boolean => value === 1;

const goodsFields = {
  goods_id: field({ wire: int, column: 'goodsId', toColumn: asIs }),
  name: field({ wire: z.string(), column: 'name', toColumn: asIs }),
  cover_img: field({ wire: z.string(), whenMissing: '', column: 'coverImg', toColumn: asIs }),
  url: field({ wire: z.string(), whenMissing: '', column: 'url', toColumn: asIs }),
  price: field({ wire: int, column: 'price', toColumn: asIs }),
  price2: field({ wire: int, whenMissing: 0, column: 'price2', toColumn: asIs }),
  price_type: field({ wire: int, whenMissing: 1, column: 'priceType', toColumn: asIs }),
  third_party_appid: field({
    wire: z.string(),
    whenMissing: '',
    column: 'thirdPartyAppid',
    toColumn: asIs,
  }),
};

const goodsParseSchema = parseSchemaOf(goodsFields);
const goodsWireSchema = wireSchemaOf(goodsFields);

// The order of the room's fields is the order of its stored content, which its content hash is
// taken over: reordering them would make the next sync rewrite every room once.
const roomFields = {
  roomid: field({ wire: int, column: 'roomId', toColumn: asIs }),
  name: field({ wire: z.string(), column: 'name', toColumn: asIs }),
  cover_img: field({ wire: z.string(), whenMissing: '', column: 'coverImg', toColumn: asIs }),
  share_img: field({ wire: z.string(), whenMissing: '', column: 'shareImg', toColumn: asIs }),
  feeds_img: field({ wire: z.string(), whenMissing: '', column: 'feedsImg', toColumn: asIs }),
  live_status: field({ wire: int, column: 'liveStatus', toColumn: asIs }),
  start_time: field({ wire: int, column: 'startTime', toColumn: fromUnixSeconds }),
  end_time: field({ wire: int, column: 'endTime', toColumn: fromUnixSeconds }),
  anchor_name: field({ wire: z.string(), whenMissing: '', column: 'anchorName', toColumn: asIs }),
  // Newer answers leave anchor_img out: the key is absent, not empty.
  anchor_img: field({
    wire: z.string(),
    whenMissing: '',
    optionalOnWire: true,
    column: 'anchorImg',
    toColumn: (value: string): string | null => (value ? value : null),
  }),
  live_type: field({ wire: int, whenMissing: 0, column: 'liveType', toColumn: asIs }),
  close_like: field({ wire: int, whenMissing: 0, column: 'closeLike', toColumn: isOn }),
  close_goods: field({ wire: int, whenMissing: 0, column: 'closeGoods', toColumn: isOn }),
  close_comment: field({ wire: int, whenMissing: 0, column: 'closeComment', toColumn: isOn }),
  close_kf: field({ wire: int, whenMissing: 0, column: 'closeKf', toColumn: isOn }),
  close_replay: field({ wire: int, whenMissing: 0, column: 'closeReplay', toColumn: isOn }),
  is_feeds_public: field({ wire: int, whenMissing: 0, column: 'isFeedsPublic', toColumn: isOn }),
  creater_openid: field({
    wire: z.string(),
    whenMissing: '',
    column: 'createrOpenid',
    toColumn: asIs,
  }),
  goods: field({
    wire: z.array(goodsWireSchema),
    parseAs: z.array(goodsParseSchema),
    whenMissing: [],
    column: 'goods',
    toColumn: (goods) => goods.map((item) => columnsOf(goodsFields, item)),
  }),
};

/** A parse schema where each field falls back to its `whenMissing` value; unknown keys dropped. */
function parseSchemaOf<Fields extends Record<string, AnyWireField>>(fields: Fields) {
  const shape = Object.fromEntries(
    Object.entries(fields).map(([key, spec]) => {
      const schema = spec.parseAs ?? spec.wire;
      return [key, spec.whenMissing === undefined ? schema : schema.default(spec.whenMissing)];
    }),
  ) as { [K in keyof Fields]: z.ZodType<z.output<Fields[K]['wire']>, unknown> };
  return z.object(shape);
}

/** The exact wire shape: every field required but those WeChat may leave out altogether. */
function wireSchemaOf<Fields extends Record<string, AnyWireField>>(fields: Fields) {
  const shape = Object.fromEntries(
    Object.entries(fields).map(([key, spec]) => [
      key,
      spec.optionalOnWire ? spec.wire.optional() : spec.wire,
    ]),
  ) as {
    [K in keyof Fields]: Fields[K] extends { optionalOnWire?: true }
      ? z.ZodOptional<Fields[K]['wire']>
      : Fields[K]['wire'];
  };
  return z.object(shape);
}

type ColumnsOf<Fields extends Record<string, AnyWireField>> = {
  -readonly [K in keyof Fields as Fields[K]['column']]: ReturnType<Fields[K]['toColumn']>;
};

function columnsOf<Fields extends Record<string, AnyWireField>>(
  fields: Fields,
  parsed: { [K in keyof Fields]: z.output<Fields[K]['wire']> },
): ColumnsOf<Fields> {
  const columns: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(fields))
    columns[spec.column] = spec.toColumn(parsed[key]);
  return columns as ColumnsOf<Fields>;
}

export const wechatGoodsSchema = goodsParseSchema;
export const wechatRoomSchema = parseSchemaOf(roomFields);
/** The room exactly as WeChat sends it: what the simulator serves and its control API accepts. */
export const wechatRoomWireSchema = wireSchemaOf(roomFields);

export type WechatRoom = z.output<typeof wechatRoomSchema>;
export type WechatGoods = z.output<typeof wechatGoodsSchema>;
export type WechatRoomWire = z.output<typeof wechatRoomWireSchema>;
export type WechatGoodsWire = z.output<typeof goodsWireSchema>;

/** A product as stored with its room (prices in fen, as WeChat gives them). */
export type StoredGoods = ColumnsOf<typeof goodsFields>;
/** The columns a sync writes from one WeChat room, by column key. */
export type RoomColumns = ColumnsOf<typeof roomFields>;

/** The column keys a sync writes from WeChat, in field order (`roomId` first). */
export const syncedRoomColumns = Object.values(roomFields).map((spec) => spec.column) as Array<
  keyof RoomColumns
>;

export function roomColumnsFromWechat(room: WechatRoom): RoomColumns {
  return columnsOf(roomFields, room);
}

type DefaultedKeys<Fields> = {
  [K in keyof Fields]: Fields[K] extends { whenMissing?: undefined } ? never : K;
}[keyof Fields];

/** What a field WeChat may omit is assumed to be: the simulator fills rooms it builds with these. */
export function wireRoomDefaults(): Pick<WechatRoomWire, DefaultedKeys<typeof roomFields>> {
  const defaults: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(roomFields)) {
    if (spec.whenMissing !== undefined && !spec.optionalOnWire)
      defaults[key] = structuredClone(spec.whenMissing);
  }
  return defaults as Pick<WechatRoomWire, DefaultedKeys<typeof roomFields>>;
}

export const wechatRoomListSchema = z.object({
  room_info: z.array(wechatRoomSchema),
  total: z.number().int().nonnegative(),
});

export const wechatReplaySchema = z.object({
  create_time: z.string(),
  expire_time: z.string(),
  media_url: z.string(),
});

export const wechatReplayListSchema = z.object({
  live_replay: z.array(wechatReplaySchema).default([]),
  total: z.number().int().nonnegative().default(0),
});

export const wechatTokenSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().int().positive(),
});

export const wechatQuotaSchema = z.object({
  quota: z.object({
    daily_limit: z.number().int().nonnegative(),
    used: z.number().int().nonnegative(),
    remain: z.number().int().nonnegative().optional(),
  }),
});

/** Every answer may carry an errcode (absent or 0 means success). */
export const wechatStatusSchema = z.object({
  errcode: z.number().int().optional(),
  errmsg: z.string().optional(),
});

export type WechatReplay = z.infer<typeof wechatReplaySchema>;
export type WechatRoomList = z.infer<typeof wechatRoomListSchema>;
export type WechatReplayList = z.infer<typeof wechatReplayListSchema>;
export type WechatToken = z.infer<typeof wechatTokenSchema>;
export type WechatQuota = z.infer<typeof wechatQuotaSchema>;
