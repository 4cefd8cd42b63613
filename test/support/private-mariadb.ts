import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import mysql from 'mysql2/promise';

import { freePort, spawnWatched, waitUntil, type WatchedProcess } from './processes.js';

const run = promisify(execFile);

/**
 * A mariadbd of a test's own: a throwaway data directory on a port of its own, which the test may
 * kill and restart on the same port and data. Never the machine's shared MariaDB.
 */
export interface PrivateMariadb {
  port: number;
  /** `mysql://root@127.0.0.1:<port>/<database>`. */
  databaseUrl(database: string): string;
  running(): boolean;
  /** Starts it (again, on the same port and data) and waits until it answers. */
  start(): Promise<void>;
  /** SIGKILL, as a crash: clients' connections drop and new ones are refused. */
  kill(): Promise<void>;
  /** Stops it (if running) and removes its data directory. */
  close(): Promise<void>;
  /** Its output so far (all runs). */
  output(): string;
}

/** True when a server on 127.0.0.1:`port` accepts a connection and answers `SELECT 1`. */
export async function mariadbAnswers(port: number): Promise<boolean> {
  const connection = await mysql.createConnection({
    host: '127.0.0.1',
    port,
    user: 'root',
    connectTimeout: 1_000,
  });
  try {
    await connection.query('SELECT 1');
    return true;
  } finally {
    await connection.end().catch(() => undefined);
  }
}

/** Initialises a data directory and starts mariadbd on a free port. */
export async function createPrivateMariadb(): Promise<PrivateMariadb> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'wxlive-mariadb-'));
  const datadir = join(dir, 'data');
  // mariadbd refuses to run as root unless told to; as another user it runs as that user.
  const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];
  try {
    await run('mariadb-install-db', [
      '--no-defaults',
      `--datadir=${datadir}`,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      '--skip-name-resolve',
      ...asRoot,
    ]);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`mariadb-install-db failed: ${(error as Error).message}`, { cause: error });
  }

  let server: WatchedProcess | undefined;
  const outputs: string[] = [];
  const running = () => server !== undefined && server.exitStatus() === null;

  const mariadb: PrivateMariadb = {
    port,
    databaseUrl: (database) => `mysql://root@127.0.0.1:${port}/${database}`,
    running,
    output: () => [...outputs, server?.output() ?? ''].join(''),
    async start() {
      if (running()) return;
      if (server) outputs.push(server.output());
      const started = spawnWatched('mariadbd', [
        '--no-defaults',
        `--datadir=${datadir}`,
        `--port=${port}`,
        `--socket=${join(dir, 'mariadbd.sock')}`,
        `--pid-file=${join(dir, 'mariadbd.pid')}`,
        `--tmpdir=${dir}`,
        '--bind-address=127.0.0.1',
        '--skip-grant-tables',
        '--skip-log-bin',
        '--innodb-buffer-pool-size=32M',
        ...asRoot,
      ]);
      server = started;
      await waitUntil(`private mariadbd on port ${port}`, () => mariadbAnswers(port), {
        timeoutMs: 30_000,
        giveUpIf: () =>
          started.exitStatus() ? `mariadbd exited early:\n${started.output()}` : undefined,
      });
    },
    async kill() {
      if (running()) await server!.stop('SIGKILL');
    },
    async close() {
      await mariadb.kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await mariadb.start();
  } catch (error) {
    await mariadb.close();
    throw error;
  }
  return mariadb;
}
