import { endedWithReplays, mostlyEndedWithReplays } from '../replay-heavy-rooms.js';
import { measureSync } from '../measure-sync.js';
import { log, REPLAY_HEAVY_ROOMS } from '../settings.js';
import { withStack, type BenchRun } from '../stack.js';

/** A first sync of 5,000 rooms most of which ended with replays, on a stack of its own. */
export async function replayHeavySync(run: BenchRun): Promise<void> {
  const heavy = mostlyEndedWithReplays(REPLAY_HEAVY_ROOMS, 42);
  const share = Math.round((100 * heavy.filter(endedWithReplays).length) / heavy.length);
  const name = `${REPLAY_HEAVY_ROOMS} rooms, ${share}% ended with replays`;
  await withStack(run, { name, rooms: heavy }, async (stack) => {
    log(`${name}: first sync`);
    run.results.sync.push(
      await measureSync(run, stack, {
        scenario: `first, ${share}% ended with replays`,
        rooms: REPLAY_HEAVY_ROOMS,
      }),
    );
  });
}
