import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { wechatRoomWireSchema } from '../wechat/wechat.schemas.js';
import { handleControl, type SimControlTarget } from './sim.control.js';
import {
  corruptAnswer,
  createFaultQueue,
  htmlErrorPage,
  truncateJson,
  type SimFault,
  type SimFaultEndpoint,
} from './sim.faults.js';
import {
  BodyTooLargeError,
  isRecord,
  parseJson,
  readBody,
  sendJson,
  sendRaw,
  SimControlError,
  type WireBody,
} from './sim.http.js';
import { createQuotaCounter, type QuotaState } from './sim.quota.js';
import type { SimReplay, SimRoom } from './sim.rooms.js';
import { cloneRoom, createRoomStore } from './sim.store.js';
import { createTokenStore } from './sim.tokens.js';

export type { SimFault, SimFaultEndpoint } from './sim.faults.js';

export const DEFAULT_SIM_APPID = 'wxsimulator0001';
export const DEFAULT_SIM_SECRET = 'simulator-secret';

export interface SimulatorOptions {
  appid?: string;
  secret?: string;
  /** Initial rooms (default none). */
  rooms?: SimRoom[];
  /** Added before every WeChat endpoint answer, not to /__sim. */
  latencyMs?: number;
  /** Max rows per list page, default 50: WeChat returns 50 even when asked for 100. */
  pageCap?: number;
  /** getliveinfo daily limit (list and replay calls together), default 500. */
  dailyQuota?: number;
  /** expires_in of a fresh token, default 7200. */
  tokenTtlSeconds?: number;
  host?: string;
  /** Default 0: a random free port. */
  port?: number;
  /** Epoch milliseconds; tests pass their own clock to step over token expiry or midnight. */
  now?: () => number;
  /** Reproduce the observed bug: replay `limit:1` answers up to 2 items with `total:1`. */
  replayLimitOneQuirk?: boolean;
}

export interface SimStats {
  stableToken: number;
  /** Force refreshes that really issued a new token. */
  forceRefresh: number;
  classicToken: number;
  list: number;
  replay: number;
  quotaGet: number;
  clearQuota: number;
  /** Calls answered with an injected fault (other than `hang`) or with 45009. */
  rejected: number;
}

export type SimQuota = QuotaState;

export interface ListCall {
  index: number;
  start: number;
  limit: number;
}

export interface WechatSimulator {
  /** No trailing slash, e.g. http://127.0.0.1:43211. */
  url: string;
  appid: string;
  secret: string;
  close(): Promise<void>;
  setRooms(rooms: SimRoom[]): void;
  /** Throws (409) when the roomid exists. */
  addRoom(room: SimRoom): void;
  /** Throws (404) for an unknown room. */
  updateRoom(roomid: number, patch: Partial<SimRoom>): void;
  /** Throws (404) for an unknown room. */
  removeRoom(roomid: number): void;
  /** Copies (editing them changes nothing), in WeChat's list order. */
  rooms(): SimRoom[];
  /** `'unavailable'` answers errcode 9410003 for that room. Throws (404) for an unknown room. */
  setReplays(roomid: number, replays: SimReplay[] | 'unavailable'): void;
  injectFault(fault: SimFault): void;
  clearFaults(): void;
  /** Faults still queued, with the skips and hits they have left. */
  faults(): SimFault[];
  /**
   * Runs when a list call arrives, before faults, token and quota checks and before the page is
   * computed; `index` counts list calls from 0 since the last resetStats. Rooms changed here show
   * in the page being answered. `start`/`limit` are NaN when the body lacks them.
   */
  onListCall(hook: ((call: ListCall) => void) | undefined): void;
  /** Every issued token answers 40001 from now on. */
  invalidateTokens(): void;
  /** Every issued token answers 42001 from now on. */
  expireTokens(): void;
  setQuota(q: { dailyLimit?: number; used?: number }): void;
  quota(): SimQuota;
  stats(): SimStats;
  resetStats(): void;
}

type WechatRoute = 'stable_token' | 'classic_token' | 'getliveinfo' | 'quota_get' | 'clear_quota';

const ROUTES = new Map<string, { name: WechatRoute; method: 'GET' | 'POST' }>([
  ['/cgi-bin/stable_token', { name: 'stable_token', method: 'POST' }],
  ['/cgi-bin/token', { name: 'classic_token', method: 'GET' }],
  ['/wxa/business/getliveinfo', { name: 'getliveinfo', method: 'POST' }],
  ['/cgi-bin/openapi/quota/get', { name: 'quota_get', method: 'POST' }],
  ['/cgi-bin/clear_quota', { name: 'clear_quota', method: 'POST' }],
]);

const JSON_TYPE = 'application/json; charset=utf-8';
const WECHAT_BODY_LIMIT = 1024 * 1024;
const REPLAY_PAGE_CAP = 100;
const LIVEINFO_PATH = '/wxa/business/getliveinfo';

const ERR = {
  dataFormat: { errcode: 47001, errmsg: 'data format error' },
  invalidArgs: { errcode: 40097, errmsg: 'invalid args' },
  quotaExhausted: { errcode: 45009, errmsg: 'reach max api daily quota limit' },
  noRoom: { errcode: 1, errmsg: 'no room' },
  pastEnd: { errcode: 9410000, errmsg: 'room list is empty' },
  replayUnavailable: { errcode: 9410003, errmsg: 'get replay failed' },
  requirePost: { errcode: 43002, errmsg: 'require POST method' },
  requireGet: { errcode: 43001, errmsg: 'require GET method' },
} as const;

/** errmsg for injected errcodes, so a faulted answer reads like the real one. */
const FAULT_ERRMSG: Record<number, string> = {
  [-1]: 'system error',
  40001: 'invalid credential, access_token is invalid or not latest',
  40014: 'invalid access_token',
  42001: 'access_token expired',
  45009: 'reach max api daily quota limit',
  45011: 'api minute-quota reach limit  mustslower  retry next minute',
  48001: 'api unauthorized',
  9410001: 'get room info failed',
  9410002: 'get goods info failed',
  9410003: 'get replay failed',
};

function emptyStats(): SimStats {
  return {
    stableToken: 0,
    forceRefresh: 0,
    classicToken: 0,
    list: 0,
    replay: 0,
    quotaGet: 0,
    clearQuota: 0,
    rejected: 0,
  };
}

function isNonNegativeInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

const WIRE_ROOM_KEYS = Object.keys(wechatRoomWireSchema.shape) as Array<keyof SimRoom>;

/**
 * A room as a list answer carries it: every field of WeChat's wire shape (anchor_img only when set,
 * as newer answers omit it), never the simulator's own `replays`. Nested goods are copied, since
 * faults rewrite answers in place.
 */
function toWireRoom(room: SimRoom): WireBody {
  const wire: WireBody = {};
  for (const key of WIRE_ROOM_KEYS) {
    const value = room[key];
    if (value === undefined) continue;
    wire[key] = Array.isArray(value)
      ? value.map((item: unknown) => (typeof item === 'object' ? { ...item } : item))
      : value;
  }
  return wire;
}

interface ServeSpec {
  faultKeys: readonly SimFaultEndpoint[];
  rowsKey?: 'room_info' | 'live_replay';
  /** Injected errcodes use up a getliveinfo quota slot, as a call WeChat accepted would. */
  countsQuota: boolean;
  answer(): WireBody;
}

/**
 * Starts a server that answers like api.weixin.qq.com for the live-room endpoints, plus a JSON
 * control surface under /__sim/. Every piece of state lives in this closure: start one per test.
 */
export async function startWechatSimulator(opts: SimulatorOptions = {}): Promise<WechatSimulator> {
  const appid = opts.appid ?? DEFAULT_SIM_APPID;
  const secret = opts.secret ?? DEFAULT_SIM_SECRET;
  const latencyMs = opts.latencyMs ?? 0;
  const pageCap = opts.pageCap ?? 50;
  const host = opts.host ?? '127.0.0.1';
  const now = opts.now ?? Date.now;
  const tokens = createTokenStore({ ttlSeconds: opts.tokenTtlSeconds ?? 7200, now });
  const quota = createQuotaCounter({ dailyLimit: opts.dailyQuota ?? 500, now });
  const faults = createFaultQueue();
  const store = createRoomStore(opts.rooms ?? []);
  let stats = emptyStats();
  let listHook: ((call: ListCall) => void) | undefined;
  let closed = false;
  let closing: Promise<void> | undefined;
  const sleepers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();

  /** Timers are woken on close() so hung answers never keep the process (or vitest) alive. */
  function sleep(ms: number): Promise<void> {
    if (ms <= 0 || closed) return Promise.resolve();
    return new Promise((resolve) => {
      const sleeper = {
        timer: setTimeout(() => {
          sleepers.delete(sleeper);
          resolve();
        }, ms),
        wake: resolve,
      };
      sleepers.add(sleeper);
    });
  }

  async function serve(req: IncomingMessage, res: ServerResponse, spec: ServeSpec): Promise<void> {
    const fault = faults.take(spec.faultKeys);
    switch (fault?.kind) {
      case 'reset-connection':
        stats.rejected++;
        req.socket.destroy();
        return;
      case 'http':
        stats.rejected++;
        sendRaw(res, fault.status, 'text/html; charset=utf-8', htmlErrorPage(fault.status));
        return;
      case 'errcode':
        stats.rejected++;
        // Capped by tryConsume: a spent quota stays exactly at its limit.
        if (spec.countsQuota && fault.errcode !== 45009) quota.tryConsume();
        sendJson(res, 200, {
          errcode: fault.errcode,
          errmsg: fault.errmsg ?? FAULT_ERRMSG[fault.errcode] ?? 'simulated error',
        });
        return;
      case 'hang':
        await sleep(fault.ms);
        if (closed) return;
        break;
      default:
        break;
    }
    const answer = spec.answer();
    if (fault === undefined || fault.kind === 'hang') return sendJson(res, 200, answer);
    if (fault.kind === 'malformed') {
      stats.rejected++;
      return sendRaw(res, 200, JSON_TYPE, truncateJson(JSON.stringify(answer)));
    }
    const corrupted = corruptAnswer(answer, fault, spec.rowsKey);
    if (corrupted !== answer) stats.rejected++;
    sendJson(res, 200, corrupted);
  }

  function listAnswer(body: Record<string, unknown>): WireBody {
    const { start, limit } = body;
    if (!isNonNegativeInt(start) || !isNonNegativeInt(limit) || limit < 1) return ERR.invalidArgs;
    const rooms = store.sorted();
    if (rooms.length === 0) return ERR.noRoom;
    if (start >= rooms.length) return ERR.pastEnd;
    return {
      errcode: 0,
      errmsg: 'ok',
      room_info: rooms.slice(start, start + Math.min(limit, pageCap)).map(toWireRoom),
      // WeChat puts an empty live_replay beside room_info in list answers too.
      live_replay: [],
      total: rooms.length,
    };
  }

  function replayAnswer(body: Record<string, unknown>): WireBody {
    const { action, room_id: roomId, start, limit } = body;
    if (action !== 'get_replay' || !isNonNegativeInt(roomId) || !isNonNegativeInt(start)) {
      return ERR.invalidArgs;
    }
    if (!isNonNegativeInt(limit) || limit < 1) return ERR.invalidArgs;
    const room = store.get(roomId);
    // Unknown rooms get 9410003 like unavailable replays: WeChat gives no "no such room" here.
    if (room === undefined || room.replays === 'unavailable') return ERR.replayUnavailable;
    const replays = room.replays ?? [];
    const quirk = opts.replayLimitOneQuirk === true && limit === 1;
    const pageSize = quirk ? 2 : Math.min(limit, REPLAY_PAGE_CAP);
    return {
      errcode: 0,
      errmsg: 'ok',
      live_replay: replays.slice(start, start + pageSize).map((r) => ({ ...r })),
      total: quirk ? Math.min(1, replays.length) : replays.length,
    };
  }

  /** `undefined` for anything WeChat would refuse as 47001, oversized bodies included. */
  async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
    let text: string;
    try {
      text = await readBody(req, WECHAT_BODY_LIMIT);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return undefined;
      throw error;
    }
    const body = parseJson(text);
    return isRecord(body) ? body : undefined;
  }

  function checkCredentials(id: unknown, key: unknown): WireBody | undefined {
    if (typeof id !== 'string' || id === '') return { errcode: 41002, errmsg: 'appid missing' };
    if (id !== appid) return { errcode: 40013, errmsg: 'invalid appid' };
    if (typeof key !== 'string' || key === '') {
      return { errcode: 41004, errmsg: 'appsecret missing' };
    }
    if (key !== secret) return { errcode: 40125, errmsg: 'invalid appsecret' };
    return undefined;
  }

  async function handleWechat(
    route: WechatRoute,
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
  ): Promise<void> {
    const accessToken = url.searchParams.get('access_token');

    if (route === 'classic_token') {
      stats.classicToken++;
      const q = url.searchParams;
      if (q.get('grant_type') !== 'client_credential') {
        return sendJson(res, 200, { errcode: 40002, errmsg: 'invalid grant_type' });
      }
      const refused = checkCredentials(q.get('appid'), q.get('secret'));
      if (refused !== undefined) return sendJson(res, 200, refused);
      const issued = tokens.classic();
      return sendJson(res, 200, { access_token: issued.token, expires_in: issued.expiresIn });
    }

    // Every other route takes a JSON body; WeChat refuses anything else before any other check.
    const body = await readJson(req);
    if (body === undefined) return sendJson(res, 200, ERR.dataFormat);

    switch (route) {
      case 'stable_token':
        stats.stableToken++;
        return serve(req, res, {
          faultKeys: ['stable_token'],
          countsQuota: false,
          answer: () => {
            if (body.grant_type !== 'client_credential') {
              return { errcode: 40002, errmsg: 'invalid grant_type' };
            }
            const refused = checkCredentials(body.appid, body.secret);
            if (refused !== undefined) return refused;
            const issued = tokens.stable(body.force_refresh === true);
            if (issued.forced) stats.forceRefresh++;
            return { access_token: issued.token, expires_in: issued.expiresIn };
          },
        });

      case 'getliveinfo': {
        const mode = body.action === undefined ? 'list' : 'replay';
        if (mode === 'list') {
          const index = stats.list++;
          listHook?.({
            index,
            start: typeof body.start === 'number' ? body.start : Number.NaN,
            limit: typeof body.limit === 'number' ? body.limit : Number.NaN,
          });
        } else {
          stats.replay++;
        }
        return serve(req, res, {
          faultKeys: [mode, 'getliveinfo'],
          rowsKey: mode === 'list' ? 'room_info' : 'live_replay',
          countsQuota: true,
          answer: () => {
            const tokenError = tokens.check(accessToken);
            if (tokenError !== undefined) return { ...tokenError };
            if (!quota.tryConsume()) {
              stats.rejected++;
              return ERR.quotaExhausted;
            }
            return mode === 'list' ? listAnswer(body) : replayAnswer(body);
          },
        });
      }

      case 'quota_get':
        stats.quotaGet++;
        return serve(req, res, {
          faultKeys: ['quota_get'],
          countsQuota: false,
          answer: () => {
            const tokenError = tokens.check(accessToken);
            if (tokenError !== undefined) return { ...tokenError };
            if (body.cgi_path !== LIVEINFO_PATH) {
              return { errcode: 76021, errmsg: 'cgi_path not found' };
            }
            const q = quota.state();
            return {
              errcode: 0,
              errmsg: 'ok',
              quota: { daily_limit: q.dailyLimit, used: q.used, remain: q.remain },
            };
          },
        });

      case 'clear_quota': {
        stats.clearQuota++;
        const tokenError = tokens.check(accessToken);
        if (tokenError !== undefined) return sendJson(res, 200, tokenError);
        if (body.appid !== appid)
          return sendJson(res, 200, { errcode: 40013, errmsg: 'invalid appid' });
        if (!quota.clear()) {
          return sendJson(res, 200, {
            errcode: 48006,
            errmsg: 'forbid to clear quota because of reaching the limit',
          });
        }
        return sendJson(res, 200, { errcode: 0, errmsg: 'ok' });
      }
    }
  }

  const sim: WechatSimulator & SimControlTarget = {
    url: '',
    appid,
    secret,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        closed = true;
        for (const sleeper of sleepers) {
          clearTimeout(sleeper.timer);
          sleeper.wake();
        }
        sleepers.clear();
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets (fetch pools them) would otherwise hold close() open for seconds.
        server.closeAllConnections();
      });
      return closing;
    },
    setRooms: (rooms) => store.replaceAll(rooms),
    addRoom: (room) => store.add(room),
    updateRoom: (roomid, patch) => store.update(roomid, patch),
    removeRoom: (roomid) => store.remove(roomid),
    rooms: () => store.sorted().map(cloneRoom),
    setReplays(roomid, replays) {
      if (store.get(roomid) === undefined) {
        throw new SimControlError(404, `room ${roomid} not found`);
      }
      store.update(roomid, { replays });
    },
    injectFault: (fault) => faults.push(fault),
    clearFaults: () => {
      faults.clear();
    },
    faults: () => faults.pending(),
    onListCall(hook) {
      listHook = hook;
    },
    invalidateTokens: () => tokens.invalidateAll(),
    expireTokens: () => tokens.expireAll(),
    setQuota(q) {
      quota.set(q);
    },
    quota: () => quota.state(),
    stats: () => ({ ...stats }),
    resetStats() {
      stats = emptyStats();
    },
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    if (url.pathname === '/__sim' || url.pathname.startsWith('/__sim/')) {
      return handleControl(sim, req, res, url);
    }
    const route = ROUTES.get(url.pathname);
    if (route === undefined) {
      return sendRaw(res, 404, 'text/html; charset=utf-8', htmlErrorPage(404));
    }
    await sleep(latencyMs);
    if (closed) return;
    if (req.method !== route.method) {
      return sendJson(res, 200, route.method === 'POST' ? ERR.requirePost : ERR.requireGet);
    }
    return handleWechat(route.name, req, res, url);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A throwing onListCall hook lands here: loud in the log, a 500 for the caller.
      console.error('[wechat-sim] request failed:', error);
      sendJson(res, 500, { error: error instanceof Error ? error.message : String(error) });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  sim.url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return sim;
}
