import type { SimRoom } from '../../src/wechat-sim/sim.rooms.js';
import { measureSync } from '../measure-sync.js';
import { log } from '../settings.js';
import type { BenchRun, Stack } from '../stack.js';

/**
 * The three syncs at one size, on one stack and in this order: a first sync into an empty
 * database, a steady-state sync with nothing changed, and a sync after 10% of the rooms changed.
 */
export async function syncAtSize(run: BenchRun, stack: Stack, rooms: SimRoom[]): Promise<void> {
  const size = rooms.length;
  const measure = (scenario: string) => measureSync(run, stack, { scenario, rooms: size });
  log(`${size} rooms: first sync`);
  run.results.sync.push(await measure('first'));
  run.results.sync.push(await measure('steady'));
  for (let index = 0; index < size; index += 10) {
    const room = rooms[index]!;
    stack.sim.updateRoom(room.roomid, { name: `${room.name} (更新)` });
  }
  run.results.sync.push(await measure('changed 10%'));
}
