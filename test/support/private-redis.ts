import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort, spawnWatched, waitUntil, type WatchedProcess } from './processes.js';

/**
 * A redis-server of a test's own, on a port of its own, that the test may kill and bring back.
 * Never the machine's shared Redis: tests that need Redis to fail break only this one.
 */
export interface PrivateRedis {
  port: number;
  /** `redis://127.0.0.1:<port>/0`, valid whether or not the server runs. */
  url: string;
  running(): boolean;
  /** Starts it on its port (again) and waits until it answers PING. */
  start(): Promise<void>;
  /** SIGKILL, as a crash: clients see their connections drop; waits for the exit. */
  kill(): Promise<void>;
  /** Stops it (if running) and removes its directory. */
  close(): Promise<void>;
  /** Its output so far (all runs). */
  output(): string;
}

/** Pings 127.0.0.1:`port` with the inline protocol; true on `+PONG`. */
export function redisAnswers(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString('utf8');
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
  });
}

/**
 * The command line of a redis-server that belongs to one test: loopback only, in the foreground
 * (so the test owns the process), keeping nothing on disk but what `extra` asks for.
 */
export function throwawayRedisArgs(port: number, dir: string, extra: string[] = []): string[] {
  return [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    ...extra,
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--daemonize',
    'no',
  ];
}

/**
 * Reserves a port and a directory for a private Redis; `start` (default true) also starts it. With
 * `start: false` the URL points at a port nothing listens on yet, for "Redis is down at start-up".
 */
export async function createPrivateRedis({ start = true } = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'wxlive-redis-'));
  let server: WatchedProcess | undefined;
  const outputs: string[] = [];
  const running = () => server !== undefined && server.exitStatus() === null;

  const redis: PrivateRedis = {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    running,
    output: () => [...outputs, server?.output() ?? ''].join(''),
    async start() {
      if (running()) return;
      if (server) outputs.push(server.output());
      const started = spawnWatched('redis-server', throwawayRedisArgs(port, dir));
      server = started;
      await waitUntil(`private redis on port ${port}`, () => redisAnswers(port), {
        giveUpIf: () =>
          started.exitStatus() ? `redis-server exited early:\n${started.output()}` : undefined,
      });
    },
    async kill() {
      if (running()) await server!.stop('SIGKILL');
    },
    async close() {
      await redis.kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
  if (start) await redis.start();
  return redis;
}
