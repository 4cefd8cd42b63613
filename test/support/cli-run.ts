import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository root, so the CLI runs the same way from any working directory. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI_SOURCE = `${REPO_ROOT}src/cli/wxlive.main.ts`;
export const CLI_BIN = `${REPO_ROOT}bin/wxlive.js`;
/**
 * `tsx src/cli/wxlive.main.ts` without the tsx launcher: Node with tsx's loader, which is what the
 * launcher starts anyway. One process instead of two keeps a dozen runs well inside the budget.
 */
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const SOURCE_ARGS = ['--import', TSX_LOADER, CLI_SOURCE];
/** The project's tsconfig (legacy decorators) whatever the working directory. */
const TSX_ENV = { TSX_TSCONFIG_PATH: `${REPO_ROOT}tsconfig.json` };

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  /** The whole environment of the process: see cliEnv. */
  env: NodeJS.ProcessEnv;
  cwd: string;
  timeoutMs?: number;
}

/** Settings the service reads (src/config.ts): stripped from the inherited environment. */
const SERVICE_SETTING =
  /^(WECHAT_|ADMIN_TOKEN$|DATABASE_URL$|REDIS_URL$|LOG_LEVEL$|SYNC_|REPLAY_|DEFAULT_ANCHOR_IMG$|SCHEDULER_ENABLED$|TOKEN_REFRESH_CRON$|HOST$|PORT$)/;

/** This process's environment without any wxlive setting, plus `settings`. */
export function cliEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!SERVICE_SETTING.test(key)) env[key] = value;
  }
  return { ...env, ...settings };
}

/** `tsx src/cli/wxlive.main.ts …` as a real process with pipes (not a terminal). */
export function runCli(args: readonly string[], options: CliRunOptions): Promise<CliResult> {
  return collect(process.execPath, [...SOURCE_ARGS, ...args], options);
}

/** `node bin/wxlive.js …`: the entry package.json's "bin" points at. */
export function runCliBin(args: readonly string[], options: CliRunOptions): Promise<CliResult> {
  return collect(process.execPath, [CLI_BIN, ...args], options);
}

/**
 * The CLI under a pseudo-terminal (util-linux `script`), as an admin's shell runs it: stdout and
 * stderr are both the terminal, and come back together (with \r\n line ends) in `stdout`.
 */
export function runCliInTerminal(
  args: readonly string[],
  options: CliRunOptions,
): Promise<CliResult> {
  const command = [process.execPath, ...SOURCE_ARGS, ...args].map(shellQuote).join(' ');
  return collect('script', ['--quiet', '--return', '--command', command, '/dev/null'], options);
}

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

function collect(file: string, args: string[], options: CliRunOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: { ...options.env, ...TSX_ENV },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 20_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
