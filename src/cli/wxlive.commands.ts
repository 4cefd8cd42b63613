import { databaseName } from '../db/client.js';
import { migrateDatabase } from '../db/migrate.js';
import type { Services } from '../services.js';
import type { SyncProgressReporter } from './sync.progress.js';
import {
  formatFreshness,
  formatPinned,
  formatQuota,
  formatReplays,
  formatSyncRuns,
  formatSyncSummary,
} from './wxlive.format.js';

/** Writes one line of a command's result to stdout. */
export type PrintLine = (line: string) => void;

/**
 * The admin operations, each a thin call into the services the server uses (the GraphQL
 * mutations call the same methods): nothing here decides anything the server would not.
 */

export async function syncCommand(
  services: Services,
  print: PrintLine,
  progress: SyncProgressReporter,
): Promise<void> {
  try {
    const report = await services.sync.syncRooms('cli', {
      onProgress: (state) => progress.update(state),
    });
    progress.stop();
    print(formatSyncSummary(report));
  } finally {
    // On failure too: the bar must give the terminal back before the error line is printed.
    progress.stop();
  }
}

export async function replayCommand(
  services: Services,
  print: PrintLine,
  roomId: number,
): Promise<void> {
  const room = await services.sync.syncReplay(roomId);
  for (const line of formatReplays(room)) print(line);
}

export async function pinCommand(
  services: Services,
  print: PrintLine,
  roomId: number,
  pinned: boolean,
): Promise<void> {
  print(formatPinned(await services.rooms.pinRoom(roomId, pinned)));
}

export async function quotaCommand(services: Services, print: PrintLine): Promise<void> {
  print(formatQuota(await services.quota.snapshot()));
}

export async function runsCommand(
  services: Services,
  print: PrintLine,
  limit: number,
): Promise<void> {
  const runs = await services.sync.listRuns(limit);
  if (runs.length === 0) {
    print(`no sync runs recorded for ${services.appId} yet`);
    return;
  }
  for (const line of formatSyncRuns(runs)) print(line);
}

export async function freshnessCommand(services: Services, print: PrintLine): Promise<void> {
  for (const line of formatFreshness(await services.freshness.state())) print(line);
}

/** Needs only DATABASE_URL: an admin can migrate before WeChat settings exist. */
export async function migrateCommand(databaseUrl: string, print: PrintLine): Promise<void> {
  await migrateDatabase(databaseUrl);
  // The database name only: the URL may carry a password.
  print(`migrations applied to ${databaseName(databaseUrl)}`);
}
