import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';

import { freePort } from '../test/support/processes.js';

export interface ServiceProcess {
  url: string;
  pid: number;
  child: ChildProcess;
  /** Resets the kernel's peak-RSS mark, so the next reading covers only what follows. */
  resetPeakRss(): Promise<void>;
  /** Peak resident memory since start or the last reset, in MiB (VmHWM). */
  peakRssMiB(): Promise<number>;
  stop(): Promise<void>;
}

/** Starts the built service (`node dist/main.js`) as a user would, and waits until /readyz answers. */
export async function startService(env: Record<string, string>): Promise<ServiceProcess> {
  const port = await freePort();
  // The same heap cap as `npm start` (package.json), so the figures are what users get.
  const heapMb = process.env.WXLIVE_MAX_HEAP_MB ?? '384';
  const child = spawn(process.execPath, [`--max-old-space-size=${heapMb}`, 'dist/main.js'], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('service did not become ready in 60 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const pid = child.pid!;
  return {
    url: `${base}/graphql`,
    pid,
    child,
    resetPeakRss: () => writeFile(`/proc/${pid}/clear_refs`, '5'),
    async peakRssMiB() {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const match = /VmHWM:\s+(\d+) kB/.exec(status);
      return match ? Math.round(Number(match[1]) / 1024) : Number.NaN;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}
