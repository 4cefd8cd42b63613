import type { SimRoom } from '../../src/wechat-sim/sim.rooms.js';
import { explainEveryQuery } from '../explain.js';
import { APPID } from '../settings.js';
import type { BenchRun, Stack } from '../stack.js';

/** The EXPLAIN of every statement with a WHERE that the API and the sync send, on the synced data. */
export async function explainQueries(run: BenchRun, stack: Stack, rooms: SimRoom[]): Promise<void> {
  run.results.explain = await explainEveryQuery(stack.databaseUrl, APPID, {
    any: rooms[0]!.roomid,
    other: rooms[1]!.roomid,
    deepOffset: (Math.floor(run.settings.readRooms / 20) - 2) * 20,
  });
}
