import { parseArgs } from 'node:util';

import { generateRooms } from './sim.rooms.js';
import { DEFAULT_SIM_APPID, DEFAULT_SIM_SECRET, startWechatSimulator } from './sim.server.js';

// Flags only, never process.env: src/config.ts is the one reader of the environment.
const USAGE = `usage: npm run wechat:sim -- [options]
  --port <n>         port to listen on (default 4100)
  --host <addr>      address to bind (default 127.0.0.1)
  --rooms <n>        generated rooms (default 120)
  --seed <n>         room generator seed (default 1)
  --now <unix s>     instant the rooms are generated around (default: the current time)
  --latency <ms>     delay added to every WeChat answer (default 0)
  --appid <id>       appid clients must use (default ${DEFAULT_SIM_APPID})
  --secret <s>       secret clients must use (default ${DEFAULT_SIM_SECRET})
  --daily-quota <n>  getliveinfo calls allowed per China day (default 500)`;

class UsageError extends Error {}

function integer(name: string, raw: string, min: number): number {
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`--${name} must be an integer ≥ ${min}, got "${raw}"`);
  }
  return value;
}

function parseFlags() {
  try {
    return parseArgs({
      options: {
        port: { type: 'string', default: '4100' },
        host: { type: 'string', default: '127.0.0.1' },
        rooms: { type: 'string', default: '120' },
        seed: { type: 'string', default: '1' },
        now: { type: 'string' },
        latency: { type: 'string', default: '0' },
        appid: { type: 'string', default: DEFAULT_SIM_APPID },
        secret: { type: 'string', default: DEFAULT_SIM_SECRET },
        'daily-quota': { type: 'string', default: '500' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    // parseArgs throws TypeErrors for unknown or malformed flags.
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

async function main(): Promise<void> {
  const values = parseFlags();
  if (values.help) {
    console.log(USAGE);
    return;
  }

  const rooms = generateRooms({
    count: integer('rooms', values.rooms, 0),
    seed: integer('seed', values.seed, 0),
    // Around the real clock by default so "live" rooms are live now; --now pins a reproducible set.
    now: values.now === undefined ? Math.floor(Date.now() / 1000) : integer('now', values.now, 0),
  });
  const sim = await startWechatSimulator({
    port: integer('port', values.port, 0),
    host: values.host,
    latencyMs: integer('latency', values.latency, 0),
    appid: values.appid,
    secret: values.secret,
    dailyQuota: integer('daily-quota', values['daily-quota'], 0),
    rooms,
  });
  console.log(
    `WeChat simulator on ${sim.url} (appid ${sim.appid}, secret ${sim.secret}, ${rooms.length} rooms; control API under ${sim.url}/__sim/)`,
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    sim.close().then(
      () => console.log(`WeChat simulator stopped (${signal})`),
      (error: unknown) => {
        console.error('WeChat simulator did not close cleanly:', error);
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`${error.message}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  console.error('WeChat simulator failed to start:', error);
  process.exitCode = 1;
});
