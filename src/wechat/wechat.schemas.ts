import { z } from 'zod';

/**
 * The shapes WeChat answers with. Extra fields are ignored (WeChat adds them); a missing or mistyped
 * field we rely on is reported by path. Fields we keep but can live without get defaults.
 */

const flag = z.number().int().default(0);

export const wechatGoodsSchema = z.object({
  goods_id: z.number().int(),
  name: z.string(),
  cover_img: z.string().default(''),
  url: z.string().default(''),
  price: z.number().int(),
  price2: z.number().int().default(0),
  price_type: z.number().int().default(1),
  third_party_appid: z.string().default(''),
});

export const wechatRoomSchema = z.object({
  roomid: z.number().int(),
  name: z.string(),
  cover_img: z.string().default(''),
  share_img: z.string().default(''),
  live_status: z.number().int(),
  start_time: z.number().int(),
  end_time: z.number().int(),
  anchor_name: z.string().default(''),
  anchor_img: z.string().optional(),
  goods: z.array(wechatGoodsSchema).default([]),
  live_type: flag,
  close_like: flag,
  close_goods: flag,
  close_comment: flag,
  close_kf: flag,
  close_replay: flag,
  is_feeds_public: flag,
  creater_openid: z.string().default(''),
  feeds_img: z.string().default(''),
});

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

export type WechatRoom = z.infer<typeof wechatRoomSchema>;
export type WechatGoods = z.infer<typeof wechatGoodsSchema>;
export type WechatReplay = z.infer<typeof wechatReplaySchema>;
export type WechatRoomList = z.infer<typeof wechatRoomListSchema>;
export type WechatReplayList = z.infer<typeof wechatReplayListSchema>;
export type WechatToken = z.infer<typeof wechatTokenSchema>;
export type WechatQuota = z.infer<typeof wechatQuotaSchema>;
