import type mysql from 'mysql2/promise';

import { replayPages, sequentialRounds } from './floors.js';
import type { SyncFigures } from './results.js';
import { APPID, log, SYNC } from './settings.js';
import { gql, type BenchRun, type Stack } from './stack.js';

async function serverQuestions(connection: mysql.Connection): Promise<number> {
  const [rows] = await connection.query("SHOW GLOBAL STATUS LIKE 'Questions'");
  return Number((rows as Array<{ Value: string }>)[0]?.Value ?? 0);
}

/**
 * Rooms holding replays in the benchmark database, each with when it was last asked for them. A
 * room whose time moves across a sync was asked again by that sync.
 */
async function storedReplayRooms(
  connection: mysql.Connection,
  database: string,
): Promise<Map<number, string | null>> {
  const [rows] = await connection.query(
    `SELECT room_id AS roomId, CAST(replays_checked_at AS CHAR) AS checkedAt
       FROM \`${database}\`.rooms WHERE app_id = ? AND json_length(replays) > 0`,
    [APPID],
  );
  return new Map(
    (rows as Array<{ roomId: number; checkedAt: string | null }>).map((row) => [
      row.roomId,
      row.checkedAt,
    ]),
  );
}

/** One admin `syncRooms` against the stack, with what it cost beside what it had to do. */
export async function measureSync(
  run: BenchRun,
  stack: Stack,
  sync: { scenario: string; rooms: number },
): Promise<SyncFigures> {
  const { service, sim, database, cost } = stack;
  const connection = run.admin;
  // Read before the SQL count starts, so these statements are not counted as the service's.
  const storedBefore = await storedReplayRooms(connection, database);
  const candidates = sim
    .rooms()
    .filter(
      (room) =>
        room.live_status === 103 && room.close_replay === 0 && !storedBefore.has(room.roomid),
    );
  const before = sim.stats();
  await service.resetPeakRss();
  const questionsBefore = await serverQuestions(connection);
  const started = performance.now();
  const { body } = await gql(service.url, SYNC, {}, true);
  const wallMs = Math.round(performance.now() - started);
  const questionsAfter = await serverQuestions(connection);
  const after = sim.stats();
  const storedAfter = await storedReplayRooms(connection, database);
  const listCalls = after.list - before.list;
  const replayCalls = after.replay - before.replay;
  const tokenCalls = after.stableToken - before.stableToken;
  const rounds = sequentialRounds(listCalls, replayCalls, tokenCalls);
  const askedAgain = [...storedBefore].filter(
    ([roomId, checkedAt]) => storedAfter.get(roomId) !== checkedAt,
  ).length;
  const figures: SyncFigures = {
    rooms: sync.rooms,
    scenario: sync.scenario,
    listCalls,
    replayCalls,
    replayCandidates: candidates.length,
    replayPagesNeeded: candidates.reduce((sum, room) => sum + replayPages(room), 0),
    storedReplayRoomsAskedAgain: storedBefore.size > 0 ? askedAgain : null,
    storedReplayRooms: storedBefore.size,
    tokenCalls,
    wallMs,
    wechatFloorMs: Math.round(cost.listMs * rounds.list + cost.replayMs * rounds.replay),
    latencyFloorMs: run.settings.latencyMs * (rounds.list + rounds.replay),
    // The second SHOW STATUS counts itself.
    sqlStatements: questionsAfter - questionsBefore - 1,
    peakRssMiB: await service.peakRssMiB(),
    report: body.data!.syncRooms!,
  };
  log(`${sync.rooms} rooms, ${sync.scenario}: ${JSON.stringify(figures)}`);
  return figures;
}
