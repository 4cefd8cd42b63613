import { and, desc, eq, max } from 'drizzle-orm';

import type { Database } from '../db/client.js';
import {
  SyncKind,
  SyncOutcome,
  syncRuns,
  type SyncRunRow,
  type SyncTrigger,
} from '../db/schema.js';
import type { ErrorCode } from '../errors.js';

export interface SyncCounts {
  roomsAdded: number;
  roomsUpdated: number;
  roomsArchived: number;
  roomsRestored: number;
  replaysFetched: number;
  listCalls: number;
  replayCalls: number;
  tokenCalls: number;
}

/** A run's counts before it has done anything. */
export const zeroSyncCounts = (): SyncCounts => ({
  roomsAdded: 0,
  roomsUpdated: 0,
  roomsArchived: 0,
  roomsRestored: 0,
  replaysFetched: 0,
  listCalls: 0,
  replayCalls: 0,
  tokenCalls: 0,
});

type Executor = Pick<Database, 'select' | 'insert' | 'update'>;

/**
 * Closes runs left "running" by a process that died mid-sync. Only called while holding the sync
 * lock, so no live sync of this app can be among them.
 */
export async function failInterruptedRuns(db: Executor, appId: string, now: Date): Promise<void> {
  await db
    .update(syncRuns)
    .set({
      outcome: SyncOutcome.FAILED,
      finishedAt: now,
      errorCode: 'INTERRUPTED' satisfies ErrorCode,
      errorMessage:
        'This sync did not record its end: its process stopped, or MySQL was unreachable when it finished',
    })
    .where(and(eq(syncRuns.appId, appId), eq(syncRuns.outcome, SyncOutcome.RUNNING)));
}

export async function startSyncRun(
  db: Executor,
  run: { appId: string; trigger: SyncTrigger; kind: SyncKind },
  now: Date,
): Promise<number> {
  const [result] = await db
    .insert(syncRuns)
    .values({ ...run, outcome: SyncOutcome.RUNNING, startedAt: now })
    .$returningId();
  if (!result) throw new Error('sync_runs insert returned no id');
  return result.id;
}

export async function finishSyncRun(
  db: Executor,
  runId: number,
  now: Date,
  counts: SyncCounts,
  failure?: { code: ErrorCode; message: string; errcode?: number },
): Promise<void> {
  await db
    .update(syncRuns)
    .set({
      ...counts,
      outcome: failure ? SyncOutcome.FAILED : SyncOutcome.SUCCEEDED,
      finishedAt: now,
      errorCode: failure?.code ?? null,
      wechatErrcode: failure?.errcode ?? null,
      errorMessage: failure ? failure.message.slice(0, 1024) : null,
    })
    .where(eq(syncRuns.id, runId));
}

export async function listSyncRuns(
  db: Executor,
  appId: string,
  limit: number,
): Promise<SyncRunRow[]> {
  return db
    .select()
    .from(syncRuns)
    .where(eq(syncRuns.appId, appId))
    .orderBy(desc(syncRuns.startedAt), desc(syncRuns.id))
    .limit(limit);
}

/** When the app's last successful full sync ended: every room it listed was confirmed then. */
export async function lastFullSyncFinishedAt(db: Executor, appId: string): Promise<Date | null> {
  const [row] = await db
    .select({ finishedAt: max(syncRuns.finishedAt) })
    .from(syncRuns)
    .where(
      and(
        eq(syncRuns.appId, appId),
        eq(syncRuns.kind, SyncKind.FULL),
        eq(syncRuns.outcome, SyncOutcome.SUCCEEDED),
      ),
    );
  return row?.finishedAt ?? null;
}
