import { randomBytes } from 'node:crypto';

import { chinaDay } from './sim.clock.js';

export interface WechatError {
  errcode: number;
  errmsg: string;
}

export interface IssuedToken {
  token: string;
  expiresIn: number;
}

export interface TokenStore {
  /** stable_token; `forced` tells whether a force refresh really happened. */
  stable(forceRefresh: boolean): IssuedToken & { forced: boolean };
  /** Classic /cgi-bin/token: always a new token. */
  classic(): IssuedToken;
  /** `undefined` when the token may call APIs. */
  check(token: string | null): WechatError | undefined;
  invalidateAll(): void;
  expireAll(): void;
}

interface TokenRecord {
  kind: 'stable' | 'classic';
  expiresAt: number;
  invalid: boolean;
  /** A classic token cut short by a newer fetch reads as invalid (40001), not expired. */
  superseded: boolean;
}

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{1,512}$/;
const CLASSIC_OVERLAP_MS = 5 * 60_000;
const FORCE_REFRESH_PER_DAY = 20;
const FORCE_REFRESH_INTERVAL_MS = 30_000;

export const TOKEN_ERRORS = {
  missing: { errcode: 41001, errmsg: 'access_token missing' },
  malformed: { errcode: 40014, errmsg: 'invalid access_token' },
  invalid: {
    errcode: 40001,
    errmsg: 'invalid credential, access_token is invalid or not latest',
  },
  expired: { errcode: 42001, errmsg: 'access_token expired' },
} as const satisfies Record<string, WechatError>;

export function createTokenStore(opts: { ttlSeconds: number; now: () => number }): TokenStore {
  const tokens = new Map<string, TokenRecord>();
  const ttlMs = opts.ttlSeconds * 1000;
  // WeChat rotates the stable token 5 minutes before expiry; short test TTLs scale that margin down
  // so a 10 s token is not rotated on every call.
  const rotateMarginMs = Math.min(300_000, Math.floor(ttlMs / 2));
  let serial = 0;
  let currentStable: string | undefined;
  let currentClassic: string | undefined;
  let forceDay = chinaDay(opts.now());
  let forcesToday = 0;
  let lastForceAt: number | undefined;

  function issue(kind: TokenRecord['kind'], now: number): string {
    serial++;
    // Real tokens look like "85_<base64url noise>"; 96 random bytes give 128 characters after it.
    const token = `${serial}_${randomBytes(96).toString('base64url')}`;
    tokens.set(token, { kind, expiresAt: now + ttlMs, invalid: false, superseded: false });
    return token;
  }

  function usable(token: string | undefined, now: number): TokenRecord | undefined {
    if (token === undefined) return undefined;
    const record = tokens.get(token);
    if (record === undefined || record.invalid || record.expiresAt <= now) return undefined;
    return record;
  }

  function forceAllowed(now: number): boolean {
    const today = chinaDay(now);
    if (today !== forceDay) {
      forceDay = today;
      forcesToday = 0;
    }
    if (forcesToday >= FORCE_REFRESH_PER_DAY) return false;
    return lastForceAt === undefined || now - lastForceAt >= FORCE_REFRESH_INTERVAL_MS;
  }

  return {
    stable(forceRefresh) {
      const now = opts.now();
      if (forceRefresh && forceAllowed(now)) {
        // A forced refresh is for a leaked token: every earlier stable token dies with it.
        for (const record of tokens.values()) if (record.kind === 'stable') record.invalid = true;
        forcesToday++;
        lastForceAt = now;
        currentStable = issue('stable', now);
        return { token: currentStable, expiresIn: opts.ttlSeconds, forced: true };
      }
      const record = usable(currentStable, now);
      if (record !== undefined && currentStable !== undefined) {
        const remaining = record.expiresAt - now;
        if (remaining > rotateMarginMs) {
          return { token: currentStable, expiresIn: Math.floor(remaining / 1000), forced: false };
        }
      }
      // Rotation leaves the old token valid until its own expiry: both work during the overlap.
      currentStable = issue('stable', now);
      return { token: currentStable, expiresIn: opts.ttlSeconds, forced: false };
    },

    classic() {
      const now = opts.now();
      const previous = currentClassic === undefined ? undefined : tokens.get(currentClassic);
      if (previous !== undefined && previous.expiresAt > now + CLASSIC_OVERLAP_MS) {
        previous.expiresAt = now + CLASSIC_OVERLAP_MS;
        previous.superseded = true;
      }
      currentClassic = issue('classic', now);
      return { token: currentClassic, expiresIn: opts.ttlSeconds };
    },

    check(token) {
      if (token === null || token === '') return TOKEN_ERRORS.missing;
      if (!TOKEN_SHAPE.test(token)) return TOKEN_ERRORS.malformed;
      const record = tokens.get(token);
      if (record === undefined || record.invalid) return TOKEN_ERRORS.invalid;
      if (record.expiresAt <= opts.now()) {
        return record.superseded ? TOKEN_ERRORS.invalid : TOKEN_ERRORS.expired;
      }
      return undefined;
    },

    invalidateAll() {
      for (const record of tokens.values()) record.invalid = true;
      currentStable = undefined;
      currentClassic = undefined;
    },

    expireAll() {
      const now = opts.now();
      for (const record of tokens.values()) {
        if (record.expiresAt > now) {
          record.expiresAt = now;
          record.superseded = false;
        }
      }
      currentStable = undefined;
      currentClassic = undefined;
    },
  };
}
