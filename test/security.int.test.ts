import { afterEach, describe, expect, it } from 'vitest';

import { roomsFixture } from './support/fixtures.js';
import { countSyncRuns, snapshotRows } from './support/probes.js';
import { QUOTA, ROOMS, SYNC_ROOMS } from './support/queries.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { TEST_ADMIN_TOKEN } from './support/test-env.js';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('GraphQL limits', () => {
  /** An app that mirrors two rooms, and what an over-limit request must leave as it was. */
  async function arrange() {
    t = await startTestApp({ sim: { rooms: roomsFixture(2) } });
    expect((await t.gql(SYNC_ROOMS, {}, { admin: true })).errors).toBeUndefined();
    const app = t;
    const state = async () => ({
      wechat: app.sim.stats(),
      rows: await snapshotRows(app),
      runs: await countSyncRuns(app),
    });
    const before = await state();
    return { app, expectNoWork: async () => expect(await state()).toEqual(before) };
  }

  /** Admin mutations inside each over-limit request: had anything run, WeChat would have been called. */
  it('refuses too many aliases before running anything', async () => {
    const { app, expectNoWork } = await arrange();
    const aliases = Array.from({ length: 40 }, (_, index) => `a${index}: syncRooms { roomsAdded }`);
    const answer = await app.gql(`mutation { ${aliases.join(' ')} }`, {}, { admin: true });
    expect(answer.status).toBe(400);
    expect(answer.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(answer.errors?.[0]?.message).toMatch(/alias/i);
    expect(answer.data ?? null).toBeNull();
    await expectNoWork();
  });

  it('refuses queries past the depth limit', async () => {
    const { app, expectNoWork } = await arrange();
    // The schema has no cycles, so only a query naming unknown fields gets this deep; the depth
    // rule must still reject it by depth (not only for the unknown fields).
    const answer = await app.gql(
      'mutation { syncReplay(roomId: 1000) { goods { a { b { c { d { e { f { g } } } } } } } } }',
      {},
      { admin: true },
    );
    expect(answer.status).toBe(400);
    expect(answer.errors?.some((error) => /depth/i.test(error.message))).toBe(true);
    expect(answer.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    await expectNoWork();
  });

  it('refuses a query over the cost limit although depth, aliases and tokens are within theirs', async () => {
    const { app, expectNoWork } = await arrange();
    // About 1,000 tokens (the limit is 2,000), depth 4, no alias: a field costs more the deeper it
    // sits. (The same fields under a mutation would trip graphql-js's own overlap-work guard first.)
    const names = Array.from({ length: 1_000 }, () => 'name').join(' ');
    const answer = await app.gql(`{ rooms { items { goods { ${names} } } } }`);
    expect(answer.status).toBe(400);
    expect(answer.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(answer.errors?.[0]?.message).toMatch(/cost/i);
    expect(answer.errors?.some((error) => /alias|depth|token/i.test(error.message))).toBe(false);
    await expectNoWork();
  });

  it('refuses too many directives before running anything', async () => {
    const { app, expectNoWork } = await arrange();
    const directives = Array.from({ length: 20 }, () => '@include(if: true)').join(' ');
    const answer = await app.gql(
      `mutation { syncRooms { roomsAdded ${directives} } }`,
      {},
      { admin: true },
    );
    expect(answer.status).toBe(400);
    expect(answer.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(answer.errors?.[0]?.message).toMatch(/directives limit/i);
    expect(answer.data ?? null).toBeNull();
    await expectNoWork();
  });

  // A refusal by a limit is the client's fault: 400, never 500 (the token limit used to answer 500).
  it('refuses a huge query by its token count with HTTP 400, public or admin', async () => {
    const { app, expectNoWork } = await arrange();
    const fields = Array.from({ length: 3_000 }, () => 'roomsAdded').join(' ');
    const admin = await app.gql(`mutation { syncRooms { ${fields} } }`, {}, { admin: true });
    const totals = Array.from({ length: 3_000 }, () => 'totalCount').join(' ');
    const publicRead = await app.gql(`{ rooms { ${totals} } }`);
    for (const answer of [admin, publicRead]) {
      expect(answer.status).toBe(400);
      expect(answer.errors).toEqual([
        {
          message: 'Syntax Error: Token limit of 2000 exceeded.',
          extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
        },
      ]);
      expect(answer).not.toHaveProperty('data');
    }
    await expectNoWork();
  });

  it('answers a query with a syntax error with HTTP 400, as a validation failure', async () => {
    const { app, expectNoWork } = await arrange();
    const answer = await app.gql('mutation { syncRooms { roomsAdded ', {}, { admin: true });
    expect(answer.status).toBe(400);
    expect(answer.errors?.[0]?.extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED' });
    expect(answer.errors?.[0]?.message).toMatch(/^Syntax Error: Expected Name, found <EOF>/);
    expect(answer).not.toHaveProperty('data');
    await expectNoWork();
  });

  it('refuses batched operations', async () => {
    const { app, expectNoWork } = await arrange();
    const response = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
      body: JSON.stringify([{ query: 'mutation { syncRooms { roomsAdded } }' }, { query: QUOTA }]),
    });
    expect(response.status).toBe(400);
    await expectNoWork();
  });

  it('still answers the normal full rooms query', async () => {
    t = await startTestApp({ sim: { rooms: roomsFixture(2) } });
    const answer = await t.gql(ROOMS, { pageSize: 100 });
    expect(answer.errors).toBeUndefined();
  });
});

describe('admin lock-out', () => {
  it('refuses a client after repeated wrong tokens, even with the right one, and keeps others working', async () => {
    t = await startTestApp({
      sim: { rooms: roomsFixture(2) },
      env: { ADMIN_LOCKOUT_FAILURES: '3' },
    });
    for (let attempt = 0; attempt < 3; attempt += 1) {
      expect(
        (await t.gql(QUOTA, {}, { token: `guess-${attempt}` })).errors?.[0]?.extensions?.code,
      ).toBe('UNAUTHENTICATED');
    }
    const locked = await t.gql(SYNC_ROOMS, {}, { admin: true });
    expect(locked.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(t.sim.stats().list).toBe(0);
    // Public reads are not affected.
    expect((await t.gql(ROOMS, {})).errors).toBeUndefined();
  });
});

describe('production mode', () => {
  const production = { NODE_ENV: 'production', CORS_ORIGINS: 'https://admin.example.com' };

  it('turns off introspection and the Sandbox page unless a setting turns them on', async () => {
    t = await startTestApp({ sim: { rooms: roomsFixture(1) }, env: production });
    const introspection = await t.gql('{ __schema { queryType { name } } }');
    expect(introspection.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const landing = await fetch(t.url, { headers: { accept: 'text/html' } });
    expect(await landing.text()).not.toMatch(/sandbox/i);
    await t.close();
    t = await startTestApp({
      sim: { rooms: roomsFixture(1) },
      env: { ...production, GRAPHQL_INTROSPECTION: 'true' },
    });
    expect((await t.gql('{ __schema { queryType { name } } }')).errors).toBeUndefined();
  });

  it('allows CORS for configured origins only', async () => {
    t = await startTestApp({ sim: { rooms: roomsFixture(1) }, env: production });
    const preflight = (origin: string) =>
      fetch(t!.url, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
    expect(
      (await preflight('https://admin.example.com')).headers.get('access-control-allow-origin'),
    ).toBe('https://admin.example.com');
    expect(
      (await preflight('https://evil.example.net')).headers.get('access-control-allow-origin'),
    ).toBeNull();
  });

  it("keeps Apollo's CSRF prevention: a simple GET query without a preflight header is refused", async () => {
    t = await startTestApp({ sim: { rooms: roomsFixture(1) }, env: production });
    const response = await fetch(
      `${t.url}?query=${encodeURIComponent('{ rooms { totalCount } }')}`,
    );
    expect(response.status).toBe(400);
    // The mini-program's wx.request POST with content-type application/json works.
    expect((await t.gql(ROOMS, {})).errors).toBeUndefined();
  });
});
