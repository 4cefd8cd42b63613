import { TransactionRollbackError } from 'drizzle-orm';

import { createDb, type Database, type DbHandle } from '../src/db/client.js';
import { countPendingMigrations } from '../src/db/migrate.js';
import { loadWatchedRooms } from '../src/freshness/freshness.repository.js';
import {
  archiveRooms,
  confirmRooms,
  findRoomsPage,
  findVisibleRoom,
  loadStoredRoomStates,
  setRoomPinned,
  storeReplayChecks,
} from '../src/rooms/room.repository.js';
import {
  failInterruptedRuns,
  finishSyncRun,
  lastFullSyncFinishedAt,
  listSyncRuns,
  zeroSyncCounts,
} from '../src/sync/sync-run.repository.js';

export interface ExplainedQuery {
  /** The repository function that sent the statement, and which of its statements it is. */
  label: string;
  query: string;
  plan: Array<Record<string, unknown>>;
  /**
   * Every row of the plan looks rows up through a key (const, ref, range…), or needs no table
   * access at all. `ALL` and `index` (a full scan, even of the primary key) do not count.
   */
  usesIndex: boolean;
  /** Statements without a WHERE read their whole table by design (e.g. the migrations count). */
  hasWhere: boolean;
  /**
   * Explained again below over a month of sync runs: on the handful of rows a benchmark leaves, a
   * scan is the optimizer's right choice, so the plan over a realistic table is the one judged.
   */
  judgedOverMoreRows?: boolean;
}

type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

const EXPLAINABLE = /^\s*(select|update|delete)\b/i;
/** Plans that touch no table rows, so there is no index to use. */
const NO_TABLE_ACCESS = /Select tables optimized away|Impossible WHERE|No tables used/i;
const FULL_SCANS = new Set(['ALL', 'index']);
/**
 * The benchmark's sync_runs holds a handful of rows, on which MariaDB rightly prefers a scan; a
 * month of runs every five minutes shows the plan a long-running instance gets.
 */
const RUN_HISTORY = 30 * 24 * 12;

const readsThroughIndex = (plan: Array<Record<string, unknown>>) =>
  plan.every((row) =>
    NO_TABLE_ACCESS.test(String(row.Extra ?? ''))
      ? true
      : row.key !== null && row.key !== undefined && !FULL_SCANS.has(String(row.type)),
  );

interface Captured {
  fn: string;
  query: string;
  params: unknown[];
}

type Pool = DbHandle['pool'];
type RoomIds = { any: number; other: number; deepOffset: number };

/**
 * Calls every repository function the API and the sync call that sends a SELECT, UPDATE or DELETE,
 * naming each in `capture.current` while it runs, so the logQuery hook files what drizzle sends
 * under its name. Functions that write run inside a transaction that is rolled back.
 */
async function runEveryRepositoryFunction(
  handle: DbHandle,
  appId: string,
  rooms: RoomIds,
  capture: { current: string },
): Promise<void> {
  const { db } = handle;
  const run = async (fn: string, body: () => Promise<unknown>) => {
    capture.current = fn;
    await body();
  };
  /** Sends the statements for real, then undoes them. */
  const rolledBack = (fn: string, body: (tx: Transaction) => Promise<unknown>) =>
    run(fn, () =>
      db
        .transaction(async (tx) => {
          await body(tx);
          tx.rollback();
        })
        .catch((error: unknown) => {
          if (!(error instanceof TransactionRollbackError)) throw error;
        }),
    );
  const now = new Date();

  await run('findRoomsPage', () => findRoomsPage(db, { appId, offset: 0, limit: 20 }));
  await run('findRoomsPage (deep page)', () =>
    findRoomsPage(db, { appId, offset: rooms.deepOffset, limit: 20 }),
  );
  await run('findRoomsPage (status filter)', () =>
    findRoomsPage(db, { appId, offset: 0, limit: 20, statusCodes: [103] }),
  );
  await run('findVisibleRoom', () => findVisibleRoom(db, appId, rooms.any));
  await rolledBack('setRoomPinned', (tx) => setRoomPinned(tx, appId, rooms.any, true, now));
  await run('listSyncRuns', () => listSyncRuns(db, appId, 20));
  await run('countPendingMigrations (/readyz)', () => countPendingMigrations(db));
  await rolledBack('failInterruptedRuns', (tx) => failInterruptedRuns(tx, appId, now));
  await run('loadStoredRoomStates', () => loadStoredRoomStates(db, appId));
  await run('loadStoredRoomStates (targeted)', () =>
    loadStoredRoomStates(db, appId, [rooms.any, rooms.other]),
  );
  await run('lastFullSyncFinishedAt (Room.syncedAt)', () => lastFullSyncFinishedAt(db, appId));
  await run('loadWatchedRooms (planner)', () =>
    loadWatchedRooms(db, {
      appId,
      startsBefore: new Date(now.getTime() + 86_400_000),
      startsAfter: new Date(now.getTime() - 4 * 3_600_000),
      replayGiveUpDays: 7,
      now,
    }),
  );
  await rolledBack('confirmRooms', (tx) => confirmRooms(tx, appId, [rooms.any], now));
  await rolledBack('archiveRooms', (tx) => archiveRooms(tx, appId, [rooms.other], now));
  await rolledBack('storeReplayChecks', (tx) =>
    storeReplayChecks(
      tx,
      appId,
      [
        {
          roomId: rooms.any,
          replays: [
            { mediaUrl: 'https://example.invalid/r.mp4', createTime: '', expireTime: null },
          ],
        },
        { roomId: rooms.other, replays: [] },
      ],
      now,
    ),
  );
  const [[latestRun]] = (await handle.pool.query(
    'SELECT MAX(id) AS id FROM sync_runs WHERE app_id = ?',
    [appId],
  )) as unknown as [[{ id: number | null } | undefined]];
  await rolledBack('finishSyncRun', (tx) =>
    finishSyncRun(tx, latestRun?.id ?? 0, now, zeroSyncCounts()),
  );
}

/** EXPLAINs each captured statement; the sync_runs ones are also returned, to be judged again. */
async function explainCaptured(pool: Pool, captured: Captured[]) {
  // A function that sends several statements gets one label per statement.
  const perFunction = new Map<string, number>();
  for (const entry of captured) perFunction.set(entry.fn, (perFunction.get(entry.fn) ?? 0) + 1);
  const seen = new Map<string, number>();
  const explained: ExplainedQuery[] = [];
  const onSyncRuns: Array<{ entry: ExplainedQuery; params: unknown[] }> = [];
  for (const { fn, query, params } of captured) {
    const index = (seen.get(fn) ?? 0) + 1;
    seen.set(fn, index);
    const kind = /^\s*select\s+count\(/i.test(query)
      ? 'count'
      : (/^\s*(\w+)/.exec(query)?.[1]?.toLowerCase() ?? 'statement');
    const label = (perFunction.get(fn) ?? 0) > 1 ? `${fn} · ${index}: ${kind}` : fn;
    const [plan] = (await pool.query(`EXPLAIN ${query}`, params)) as unknown as [
      Array<Record<string, unknown>>,
    ];
    const entry: ExplainedQuery = {
      label,
      query,
      plan,
      usesIndex: readsThroughIndex(plan),
      hasWhere: /\bwhere\b/i.test(query),
    };
    explained.push(entry);
    if (/`sync_runs`/.test(query)) onSyncRuns.push({ entry, params });
  }
  return { explained, onSyncRuns };
}

/**
 * The sync_runs statements again, over a month of history added in a transaction undone after.
 * Marks each original as judged over more rows and returns the plans to judge instead.
 */
async function explainOverRunHistory(
  pool: Pool,
  appId: string,
  onSyncRuns: Array<{ entry: ExplainedQuery; params: unknown[] }>,
): Promise<ExplainedQuery[]> {
  const explained: ExplainedQuery[] = [];
  const connection = await pool.getConnection();
  try {
    await connection.query('BEGIN');
    await connection.query(
      "INSERT INTO sync_runs (app_id, `trigger`, outcome, started_at, finished_at) SELECT ?, 'cron', 'succeeded', NOW(3) - INTERVAL seq * 5 MINUTE, NOW(3) - INTERVAL seq * 5 MINUTE FROM seq_1_to_" +
        String(RUN_HISTORY),
      [appId],
    );
    for (const { entry, params } of onSyncRuns) {
      const [plan] = (await connection.query(`EXPLAIN ${entry.query}`, params)) as unknown as [
        Array<Record<string, unknown>>,
      ];
      entry.judgedOverMoreRows = true;
      explained.push({
        ...entry,
        label: `${entry.label}, over ${RUN_HISTORY} more runs (a month)`,
        judgedOverMoreRows: false,
        plan,
        usesIndex: readsThroughIndex(plan),
      });
    }
  } finally {
    await connection.query('ROLLBACK');
    connection.release();
  }
  return explained;
}

/**
 * Runs every repository function the API and the sync call that sends a SELECT, UPDATE or DELETE,
 * captures what drizzle sends (createDb's logQuery) and EXPLAINs it. Functions that write run
 * inside a transaction that is rolled back, so the benchmark data stays as the syncs left it.
 * INSERTs (startSyncRun, upsertRoomContents) have no WHERE and are not explained.
 */
export async function explainEveryQuery(
  databaseUrl: string,
  appId: string,
  rooms: RoomIds,
): Promise<ExplainedQuery[]> {
  const capture = { current: '' };
  const captured: Captured[] = [];
  const handle = createDb(databaseUrl, {
    connectionLimit: 2,
    logQuery: (query, params) => {
      if (EXPLAINABLE.test(query)) captured.push({ fn: capture.current, query, params });
    },
  });
  try {
    await runEveryRepositoryFunction(handle, appId, rooms, capture);
    const { explained, onSyncRuns } = await explainCaptured(handle.pool, captured);
    return [...explained, ...(await explainOverRunHistory(handle.pool, appId, onSyncRuns))];
  } finally {
    await handle.close();
  }
}
