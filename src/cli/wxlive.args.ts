import { parseArgs } from 'node:util';

/** The admin operations of the GraphQL API, plus the two every CLI has. */
export type WxliveCommand =
  | { name: 'help' }
  | { name: 'version' }
  | { name: 'sync' }
  | { name: 'replay'; roomId: number }
  | { name: 'pin'; roomId: number; pinned: boolean }
  | { name: 'quota' }
  | { name: 'runs'; limit: number }
  | { name: 'freshness' }
  | { name: 'migrate' };

export interface WxliveInvocation {
  command: WxliveCommand;
  verbose: boolean;
}

/** Bad arguments: exit 2 with a hint, like every Unix tool. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const DEFAULT_RUNS_LIMIT = 20;
/** The same ceiling as the `syncRuns` query. */
export const MAX_RUNS_LIMIT = 200;
/** WeChat room ids are MySQL INT columns here. */
const MAX_ROOM_ID = 2_147_483_647;

export const USAGE = `Usage: wxlive <command> [options]

Admin operations on the configured database, Redis and WeChat account (the server's environment
variables, or a .env file in the working directory).

Commands:
  sync              mirror every WeChat room now (recorded with trigger "cli")
  replay <roomId>   fetch one room's replays from WeChat now
  pin <roomId>      pin a room to the top of the list
  unpin <roomId>    unpin a room
  quota             today's getliveinfo calls: used, limit, remaining
  runs [--limit N]  the latest sync runs, newest first (default ${DEFAULT_RUNS_LIMIT}, at most ${MAX_RUNS_LIMIT})
  freshness         the adaptive planner's plan: budget, next reads, watched rooms, last status changes
  migrate           create the database if needed and apply pending migrations (needs DATABASE_URL only)
  help              show this help

Options:
  --verbose         also print the service's info and debug logs (on stderr)
  -h, --help        show this help
  --version         print the version

Exit status: 0 on success, 1 when the operation or the configuration failed (one line on stderr:
"wxlive: CODE: reason"), 2 on bad usage, 130 when interrupted.`;

const COMMANDS_WITH_ROOM = new Set(['replay', 'pin', 'unpin']);

/** Parses `argv` (without node and the script) into one command, or throws UsageError. */
export function parseWxliveArgs(argv: readonly string[]): WxliveInvocation {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false },
        limit: { type: 'string' },
      },
    });
  } catch (error) {
    // parseArgs explains itself ("Unknown option '--x'"); keep only its first sentence.
    throw new UsageError((error as Error).message.split('. ')[0] ?? 'invalid arguments');
  }
  const { values, positionals } = parsed;
  const verbose = values.verbose;
  if (values.help) return { command: { name: 'help' }, verbose };
  if (values.version) return { command: { name: 'version' }, verbose };

  const [name, ...rest] = positionals;
  if (name === undefined) throw new UsageError('missing command');
  if (values.limit !== undefined && name !== 'runs') {
    throw new UsageError(`--limit only applies to "runs"`);
  }

  if (COMMANDS_WITH_ROOM.has(name)) {
    if (rest.length !== 1) throw new UsageError(`"${name}" takes exactly one room id`);
    const roomId = parseRoomId(rest[0]!);
    const command: WxliveCommand =
      name === 'replay'
        ? { name: 'replay', roomId }
        : { name: 'pin', roomId, pinned: name === 'pin' };
    return { command, verbose };
  }
  if (name === 'help') return { command: { name: 'help' }, verbose };
  if (
    name !== 'sync' &&
    name !== 'quota' &&
    name !== 'runs' &&
    name !== 'freshness' &&
    name !== 'migrate'
  ) {
    throw new UsageError(`unknown command "${name}"`);
  }
  if (rest.length > 0) throw new UsageError(`"${name}" takes no arguments (got "${rest[0]}")`);
  if (name === 'runs') {
    return { command: { name: 'runs', limit: parseLimit(values.limit) }, verbose };
  }
  return { command: { name }, verbose };
}

function parseRoomId(raw: string): number {
  const roomId = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(roomId) || roomId < 1 || roomId > MAX_ROOM_ID) {
    throw new UsageError(`room id must be a positive integer (got "${raw}")`);
  }
  return roomId;
}

function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_RUNS_LIMIT;
  const limit = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_RUNS_LIMIT) {
    throw new UsageError(`--limit must be between 1 and ${MAX_RUNS_LIMIT} (got "${raw}")`);
  }
  return limit;
}
