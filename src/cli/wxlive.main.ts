import { readFileSync } from 'node:fs';

import { ConfigError, loadConfig, loadDatabaseUrl, loadDotEnvFile } from '../config.js';
import { classifyError } from '../errors.js';
import { createLogger } from '../logger.js';
import { createServices, type Services } from '../services.js';
import { createSyncProgress, type CliStream, type SyncProgressReporter } from './sync.progress.js';
import {
  migrateCommand,
  pinCommand,
  quotaCommand,
  freshnessCommand,
  replayCommand,
  runsCommand,
  syncCommand,
  type PrintLine,
} from './wxlive.commands.js';
import { formatLogLine, oneLine } from './wxlive.format.js';
import { USAGE, UsageError, parseWxliveArgs, type WxliveCommand } from './wxlive.args.js';

/**
 * `wxlive` (bin/wxlive.js, `npm run wxlive --`): the admin operations of the GraphQL API on the
 * same services the server builds. Results go to stdout, one-line failures and logs to stderr;
 * exit 0 on success, 1 on failure, 2 on bad usage, 128 + signal when interrupted.
 */

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;
/** After closing, the process should end by itself; if a handle lingers, it is ended anyway. */
const FORCED_EXIT_AFTER_MS = 2000;

const stdout: CliStream = process.stdout;
const stderr: CliStream = process.stderr;
const print: PrintLine = (line) => void stdout.write(`${line}\n`);
const fail = (reason: string) => void stderr.write(`wxlive: ${oneLine(reason)}\n`);

/** Set while a sync draws progress, so log lines and an interruption do not tear its bar. */
let progress: SyncProgressReporter | null = null;
let services: Services | null = null;
let running: WxliveCommand['name'] | null = null;
let verbose = false;
/**
 * Set once the command's result or failure is printed. Closing a change feed that is still
 * subscribing logs warnings about a disconnect nobody needs to hear about: shown with --verbose.
 */
let closing = false;
/**
 * Error records the services log while the command runs. When the command fails they restate
 * the one-line reason, so they are dropped (--verbose shows them as they come); when it succeeds
 * anyway they are news, and are printed at the end.
 */
const heldErrors: string[] = [];
/** pino's numeric level for `error`. */
const ERROR_LEVEL = 50;

function onSignal(signal: NodeJS.Signals, exitCode: number): void {
  progress?.stop();
  fail(
    running === 'sync'
      ? `INTERRUPTED: ${signal} during the sync; it applies all or nothing (one transaction), the next sync records this run as INTERRUPTED, and the sync lock frees within SYNC_LOCK_TTL_SECONDS`
      : `INTERRUPTED: ${signal}`,
  );
  process.exit(exitCode);
}
process.once('SIGINT', () => onSignal('SIGINT', 130));
process.once('SIGTERM', () => onSignal('SIGTERM', 143));

const exitCode = await main(process.argv.slice(2));
process.exitCode = exitCode;
setTimeout(() => process.exit(exitCode), FORCED_EXIT_AFTER_MS).unref();

async function main(argv: readonly string[]): Promise<number> {
  try {
    const invocation = parseWxliveArgs(argv);
    verbose = invocation.verbose;
    running = invocation.command.name;
    await run(invocation.command);
    for (const line of heldErrors) stderr.write(line);
    return EXIT_OK;
  } catch (error) {
    return reportFailure(error);
  } finally {
    progress?.stop();
    progress = null;
    closing = true;
    await services?.close().catch(() => undefined);
    services = null;
  }
}

async function run(command: WxliveCommand): Promise<void> {
  switch (command.name) {
    case 'help':
      print(USAGE);
      return;
    case 'version':
      print(`wxlive ${packageVersion()}`);
      return;
    case 'migrate':
      readDotEnv();
      await migrateCommand(loadDatabaseUrl(), print);
      return;
    default:
      break;
  }

  readDotEnv();
  const config = loadConfig();
  const logger = createLogger({
    // The services log for a server; a terminal wants only what went wrong unless asked.
    level: verbose ? 'debug' : 'warn',
    pretty: false,
    destination: { write: (line: string) => writeLog(line) },
  });
  services = createServices(config, { logger });
  // Commands are not queued while Redis connects: wait for it (bounded) before the first one.
  await services.ready();

  switch (command.name) {
    case 'sync':
      progress = createSyncProgress({ stdout, stderr });
      await syncCommand(services, print, progress);
      return;
    case 'replay':
      await replayCommand(services, print, command.roomId);
      return;
    case 'pin':
      await pinCommand(services, print, command.roomId, command.pinned);
      return;
    case 'quota':
      await quotaCommand(services, print);
      return;
    case 'runs':
      await runsCommand(services, print, command.limit);
      break;
    case 'freshness':
      await freshnessCommand(services, print);
      return;
  }
}

function writeLog(json: string): void {
  if (closing && !verbose) return;
  const { level, text } = formatLogLine(json);
  if (level >= ERROR_LEVEL && !verbose) heldErrors.push(text);
  else if (progress) progress.log(text);
  else stderr.write(text);
}

function readDotEnv(): void {
  try {
    loadDotEnvFile();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError([`.env: could not be read${code ? ` (${code})` : ''}`]);
  }
}

/** Prints the one-line reason and picks the exit code; never SQL, stacks or secrets. */
function reportFailure(error: unknown): number {
  progress?.stop();
  if (error instanceof UsageError) {
    fail(`${error.message} (see "wxlive --help")`);
    return EXIT_USAGE;
  }
  if (error instanceof ConfigError) {
    // The problems name keys, never values (they may be secrets).
    fail(`CONFIG_INVALID: ${error.problems.map(describeProblem).join('; ')}`);
    return EXIT_FAILURE;
  }
  const missing = missingSchema(error);
  if (missing) {
    fail(`NOT_MIGRATED: the database ${missing}; run "wxlive migrate" first`);
    return EXIT_FAILURE;
  }
  const failure = classifyError(error);
  if (failure.safeToShow) {
    fail(`${failure.code}: ${failure.message}`);
  } else {
    // The raw message may quote SQL: only --verbose shows it, as a log line.
    if (verbose)
      stderr.write(formatLogLine(JSON.stringify({ level: 50, msg: failure.message })).text);
    fail(
      `${failure.code}: an unexpected error stopped the command${verbose ? '' : ' (--verbose shows it)'}`,
    );
  }
  return EXIT_FAILURE;
}

/** zod says "expected string, received undefined" for an unset key: say it plainly. */
function describeProblem(problem: string): string {
  return problem.replace(/: Invalid input: expected \w+, received undefined$/, ': missing');
}

/** MySQL's "no such database / table" anywhere in the cause chain: the schema is not there yet. */
function missingSchema(error: unknown): string | null {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (code === 'ER_BAD_DB_ERROR') return 'does not exist';
    if (code === 'ER_NO_SUCH_TABLE') return 'has no wxlive tables';
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}

function packageVersion(): string {
  // src/cli and dist/cli are both two levels below the package root.
  const manifest = JSON.parse(
    readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
  ) as { version?: string };
  return manifest.version ?? 'unknown';
}
