import { parseArgs } from 'node:util';

import { createApp } from '../app.js';
import { ConfigError, loadDemoConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { redisKeys } from '../redis/keys.js';
import { generateRooms } from '../wechat-sim/sim.rooms.js';
import { startWechatSimulator } from '../wechat-sim/sim.server.js';

/**
 * `npm run demo`: the whole service on the bundled WeChat simulator, since no real mini-program
 * credentials exist here. Migrates, starts the simulator and the server, runs a first sync, asks
 * the API for a page of rooms over HTTP, and prints how to explore further. `--once` exits after.
 */
const { values: flags } = parseArgs({
  options: { once: { type: 'boolean', default: false }, rooms: { type: 'string', default: '120' } },
});

// No .env here: that file configures the real service (its database, its WeChat), and the demo must
// never write simulator rooms into it. Only the shell's PORT, DATABASE_URL, REDIS_URL… move the demo.
const DEMO_ADMIN_TOKEN = 'demo-admin-token-change-me';

const sim = await startWechatSimulator({
  rooms: generateRooms({ count: Number(flags.rooms), seed: 7, now: Math.floor(Date.now() / 1000) }),
});
let config;
try {
  config = loadDemoConfig({
    WECHAT_APPID: sim.appid,
    WECHAT_SECRET: sim.secret,
    WECHAT_API_BASE: sim.url,
    ADMIN_TOKEN: DEMO_ADMIN_TOKEN,
  });
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    await sim.close();
    process.exit(1);
  }
  throw error;
}

// Readable log lines between the demo's own output when a person is watching.
const logger = createLogger({
  level: flags.once ? 'warn' : config.logLevel,
  pretty: process.stdout.isTTY,
});
const app = await createApp(config, { logger });
await app.services.ready();
// Each demo starts a new simulated WeChat account: its quota starts at zero, so does our count, and
// a token cached by an earlier demo means nothing to it (nor its plan and list positions).
await app.services.quota.clearToday();
await app.redis.del(
  redisKeys.accessToken(sim.appid),
  redisKeys.listPositions(sim.appid),
  redisKeys.listPositionsMeta(sim.appid),
  redisKeys.freshnessPlan(sim.appid),
  redisKeys.freshnessTransitions(sim.appid),
);

console.log(`\nwxlive demo\n  WeChat simulator: ${sim.url} (appid ${sim.appid})`);
console.log(`  database:         ${new URL(config.databaseUrl).pathname.slice(1)} (migrated)`);
// The first sync runs before listening, which starts the jobs: the planner then finds it done.
const report = await app.services.sync.syncRooms('cli');
const url = await app.listen();
console.log(
  `  first sync:       ${report.roomsAdded} added, ${report.roomsUpdated} updated, ${report.roomsArchived} archived, ` +
    `${report.replaysFetched} replay segments, ${report.listCalls} list + ${report.replayCalls} replay + ${report.tokenCalls} token calls, ${report.durationMs} ms`,
);

const exampleQuery =
  '{ rooms(page: 1, pageSize: 3) { totalCount items { roomId name liveStatus startTime goods { name price } replays { mediaUrl } } } }';
const response = await fetch(url, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ query: exampleQuery }),
});
const answer = (await response.json()) as {
  data?: {
    rooms: {
      totalCount: number;
      items: Array<{ roomId: number; name: string; liveStatus: string }>;
    };
  };
};
console.log(`  rooms served:     ${answer.data?.rooms.totalCount ?? 0}; first page:`);
for (const room of answer.data?.rooms.items ?? [])
  console.log(`    #${room.roomId} ${room.liveStatus.padEnd(11)} ${room.name}`);

console.log(`
GraphQL endpoint (Apollo Sandbox in a browser): ${url}
Try it:
  curl -s ${url} -H 'content-type: application/json' \\
    -d '{"query":"{ rooms(pageSize: 5) { totalCount items { roomId name liveStatus } } }"}'
Admin operations need the header   Authorization: Bearer ${DEMO_ADMIN_TOKEN}
  curl -s ${url} -H 'content-type: application/json' -H 'authorization: Bearer ${DEMO_ADMIN_TOKEN}' \\
    -d '{"query":"mutation { syncRooms { roomsAdded roomsUpdated roomsArchived apiCalls durationMs } }"}'
`);

async function stop(): Promise<void> {
  await app.close();
  await sim.close();
}

if (flags.once) {
  await stop();
} else {
  console.log(
    config.freshness.mode === 'adaptive'
      ? 'The adaptive planner keeps the rooms fresh (admin query `freshness`, or `npm run wxlive -- freshness`). Press Ctrl-C to stop.'
      : `Scheduled sync: "${config.scheduler.syncCron}". Press Ctrl-C to stop.`,
  );
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void stop().then(() => process.exit(0));
    });
  }
}
