import { describe, expect, it } from 'vitest';

import { redisKeys } from './keys.js';

/** The part of a key Redis Cluster hashes: what is between the first `{` and the next `}`. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = key.indexOf('}', open + 1);
  return open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
}

describe('redisKeys', () => {
  const appId = 'wx1234567890abcdef';

  it.each(Object.entries(redisKeys))(
    'puts %s in the hash slot of its app, so scripts and MULTIs over one app stay in one slot',
    (_name, key) => {
      // Every key takes the app id first; the other arguments are a day, a client or a slot.
      const built = (key as (appId: string, other: string) => string)(appId, '{other}');
      expect(hashTag(built)).toBe(appId);
    },
  );
});
