import type { IncomingMessage, ServerResponse } from 'node:http';

import { z } from 'zod';

import type { SimFault } from './sim.faults.js';
import { BodyTooLargeError, SimControlError, parseJson, readBody, sendJson } from './sim.http.js';
import { wechatReplaySchema, wechatRoomWireSchema } from '../wechat/wechat.schemas.js';
import { generateRooms, makeRoom, type SimReplay, type SimRoom } from './sim.rooms.js';

/** What the /__sim routes drive: the in-process control API, declared here to avoid an import cycle. */
export interface SimControlTarget {
  stats(): unknown;
  resetStats(): void;
  rooms(): SimRoom[];
  setRooms(rooms: SimRoom[]): void;
  addRoom(room: SimRoom): void;
  updateRoom(roomid: number, patch: Partial<SimRoom>): void;
  removeRoom(roomid: number): void;
  setReplays(roomid: number, replays: SimReplay[] | 'unavailable'): void;
  injectFault(fault: SimFault): void;
  clearFaults(): void;
  faults(): SimFault[];
  invalidateTokens(): void;
  expireTokens(): void;
  setQuota(q: { dailyLimit?: number; used?: number }): void;
  quota(): unknown;
}

// Replacing 50,000 rooms in one PUT is a ~40 MB body.
const CONTROL_BODY_LIMIT = 128 * 1024 * 1024;

const int = z.number().int();

const replaysSchema = z.union([z.array(wechatReplaySchema.strict()), z.literal('unavailable')]);

// WeChat's room exactly as it is on the wire (unknown keys refused: a typo would go unnoticed),
// plus the replays the simulator answers for it.
const roomSchema = wechatRoomWireSchema
  .extend({
    roomid: int.positive(),
    goods: z.array(wechatRoomWireSchema.shape.goods.element.strict()),
    replays: replaysSchema.optional(),
  })
  .strict();

/** Omitted fields come from makeRoom, so `{"roomid": 7}` is a valid room to add. */
const newRoomSchema = roomSchema.partial().required({ roomid: true });
const roomPatchSchema = roomSchema.omit({ roomid: true }).partial();

const generateSchema = z.strictObject({
  count: int.min(0).max(1_000_000),
  seed: int.optional(),
  now: int.optional(),
  firstRoomId: int.positive().optional(),
});

const faultBase = {
  endpoint: z.enum(['list', 'replay', 'getliveinfo', 'stable_token', 'quota_get']),
  times: int.min(1).optional(),
  skip: int.min(0).optional(),
};

const faultSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    ...faultBase,
    kind: z.literal('errcode'),
    errcode: int,
    errmsg: z.string().optional(),
  }),
  z.strictObject({ ...faultBase, kind: z.literal('http'), status: int.min(100).max(599) }),
  z.strictObject({ ...faultBase, kind: z.literal('hang'), ms: int.min(0).max(600_000) }),
  z.strictObject({ ...faultBase, kind: z.literal('malformed') }),
  z.strictObject({ ...faultBase, kind: z.literal('drop-field'), field: z.string().min(1) }),
  z.strictObject({ ...faultBase, kind: z.literal('mistype-field'), field: z.string().min(1) }),
  z.strictObject({ ...faultBase, kind: z.literal('short-page'), rows: int.min(0) }),
  z.strictObject({ ...faultBase, kind: z.literal('reset-connection') }),
]);

const quotaSchema = z.strictObject({
  dailyLimit: int.min(0).optional(),
  used: int.min(0).optional(),
});

class BadRequest extends Error {}

function validate<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new BadRequest(z.prettifyError(result.error));
  return result.data;
}

function roomIdFrom(segment: string | undefined): number {
  const id = Number(segment);
  if (!Number.isSafeInteger(id) || id <= 0) throw new BadRequest(`"${segment}" is not a room id`);
  return id;
}

async function jsonBody(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req, CONTROL_BODY_LIMIT);
  if (text.trim() === '') return {};
  const body = parseJson(text);
  if (body === undefined) throw new BadRequest('body is not JSON');
  return body;
}

interface ControlAnswer {
  status: number;
  body: unknown;
}

interface ControlRoute {
  method: string;
  pattern: RegExp;
  handle(
    target: SimControlTarget,
    req: IncomingMessage,
    id: number,
  ): ControlAnswer | Promise<ControlAnswer>;
}

const ok = (body: unknown, status = 200): ControlAnswer => ({ status, body });

const ROUTES: ControlRoute[] = [
  { method: 'GET', pattern: /^\/__sim\/stats$/, handle: (t) => ok(t.stats()) },
  {
    method: 'POST',
    pattern: /^\/__sim\/reset-stats$/,
    handle: (t) => {
      t.resetStats();
      return ok(t.stats());
    },
  },
  { method: 'GET', pattern: /^\/__sim\/rooms$/, handle: (t) => ok(t.rooms()) },
  {
    method: 'POST',
    pattern: /^\/__sim\/rooms$/,
    handle: async (t, req) => {
      const room = makeRoom(validate(newRoomSchema, await jsonBody(req)));
      t.addRoom(room);
      return ok(room, 201);
    },
  },
  {
    method: 'PUT',
    pattern: /^\/__sim\/rooms$/,
    handle: async (t, req) => {
      const rooms = validate(z.array(roomSchema), await jsonBody(req));
      t.setRooms(rooms);
      return ok({ count: rooms.length });
    },
  },
  {
    method: 'POST',
    pattern: /^\/__sim\/rooms\/generate$/,
    handle: async (t, req) => {
      const rooms = generateRooms(validate(generateSchema, await jsonBody(req)));
      t.setRooms(rooms);
      return ok({ count: rooms.length });
    },
  },
  {
    method: 'PATCH',
    pattern: /^\/__sim\/rooms\/([^/]+)$/,
    handle: async (t, req, id) => {
      t.updateRoom(id, validate(roomPatchSchema, await jsonBody(req)));
      return ok(t.rooms().find((r) => r.roomid === id));
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/__sim\/rooms\/([^/]+)$/,
    handle: (t, _req, id) => {
      t.removeRoom(id);
      return ok({ removed: id });
    },
  },
  {
    method: 'PUT',
    pattern: /^\/__sim\/rooms\/([^/]+)\/replays$/,
    handle: async (t, req, id) => {
      t.setReplays(id, validate(replaysSchema, await jsonBody(req)));
      return ok(t.rooms().find((r) => r.roomid === id));
    },
  },
  { method: 'GET', pattern: /^\/__sim\/faults$/, handle: (t) => ok(t.faults()) },
  {
    method: 'POST',
    pattern: /^\/__sim\/faults$/,
    handle: async (t, req) => {
      t.injectFault(validate(faultSchema, await jsonBody(req)));
      return ok(t.faults(), 201);
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/__sim\/faults$/,
    handle: (t) => {
      t.clearFaults();
      return ok(t.faults());
    },
  },
  {
    method: 'POST',
    pattern: /^\/__sim\/invalidate-tokens$/,
    handle: (t) => {
      t.invalidateTokens();
      return ok({ ok: true });
    },
  },
  {
    method: 'POST',
    pattern: /^\/__sim\/expire-tokens$/,
    handle: (t) => {
      t.expireTokens();
      return ok({ ok: true });
    },
  },
  { method: 'GET', pattern: /^\/__sim\/quota$/, handle: (t) => ok(t.quota()) },
  {
    method: 'POST',
    pattern: /^\/__sim\/quota$/,
    handle: async (t, req) => {
      t.setQuota(validate(quotaSchema, await jsonBody(req)));
      return ok(t.quota());
    },
  },
];

/** Routes `/__sim/...`: JSON in and out, 400 with a readable message for a bad body. */
export async function handleControl(
  target: SimControlTarget,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const method = req.method ?? 'GET';
  let matched: { route: ControlRoute; param: string | undefined } | undefined;
  for (const route of ROUTES) {
    const match = route.pattern.exec(url.pathname);
    if (match !== null && route.method === method) {
      matched = { route, param: match[1] };
      break;
    }
  }
  if (matched === undefined) {
    sendJson(res, 404, { error: `no simulator route ${method} ${url.pathname}` });
    return;
  }
  try {
    const id = matched.param === undefined ? 0 : roomIdFrom(matched.param);
    const answer = await matched.route.handle(target, req, id);
    sendJson(res, answer.status, answer.body);
  } catch (error) {
    if (error instanceof BadRequest) return sendJson(res, 400, { error: error.message });
    if (error instanceof SimControlError) {
      return sendJson(res, error.status, { error: error.message });
    }
    if (error instanceof BodyTooLargeError) return sendJson(res, 413, { error: error.message });
    throw error;
  }
}
