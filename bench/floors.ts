import type { SimRoom } from '../src/wechat-sim/sim.rooms.js';
import type { WechatSimulator } from '../src/wechat-sim/sim.server.js';
import { LIST_CONCURRENCY, REPLAY_CONCURRENCY, SIM_REPLAY_PAGE } from './settings.js';

/** What one WeChat call costs on the wire (configured latency plus HTTP), per concurrency slot. */
export interface CallCost {
  listMs: number;
  replayMs: number;
}

async function simulatorToken(sim: WechatSimulator): Promise<string> {
  const response = await fetch(`${sim.url}/cgi-bin/stable_token`, {
    method: 'POST',
    body: JSON.stringify({ grant_type: 'client_credential', appid: sim.appid, secret: sim.secret }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

/** Milliseconds per round of `concurrency` calls, each body posted once. */
async function timeCalls(endpoint: string, bodies: unknown[], concurrency: number) {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++];
        await (await fetch(endpoint, { method: 'POST', body: JSON.stringify(body) })).text();
      }
    }),
  );
  return (performance.now() - started) / (bodies.length / concurrency);
}

/**
 * Times bare HTTP calls to the simulator at the service's concurrency, without the service: the
 * part of a sync's wall time that is WeChat's (the network), not ours.
 */
export async function calibrate(sim: WechatSimulator, roomIds: number[]): Promise<CallCost> {
  const token = await simulatorToken(sim);
  const endpoint = `${sim.url}/wxa/business/getliveinfo?access_token=${token}`;
  const listBodies = Array.from({ length: LIST_CONCURRENCY * 4 }, (_, index) => ({
    start: (index * 50) % Math.max(50, roomIds.length),
    limit: 100,
  }));
  const replayBodies = Array.from({ length: REPLAY_CONCURRENCY * 4 }, (_, index) => ({
    action: 'get_replay',
    room_id: roomIds[index % roomIds.length],
    start: 0,
    limit: 100,
  }));
  // A first round warms up both ends (JIT, sockets); only the second is kept.
  await timeCalls(endpoint, listBodies, LIST_CONCURRENCY);
  await timeCalls(endpoint, replayBodies, REPLAY_CONCURRENCY);
  return {
    listMs: await timeCalls(endpoint, listBodies, LIST_CONCURRENCY),
    replayMs: await timeCalls(endpoint, replayBodies, REPLAY_CONCURRENCY),
  };
}

/** get_replay calls a room needs: the service follows pages while they come back full. */
export function replayPages(room: SimRoom): number {
  return Array.isArray(room.replays) ? Math.floor(room.replays.length / SIM_REPLAY_PAGE) + 1 : 1;
}

/** WeChat calls that must follow one another: token, first list page, then parallel batches. */
export function sequentialRounds(listCalls: number, replayCalls: number, tokenCalls: number) {
  return {
    list:
      tokenCalls +
      Math.min(1, listCalls) +
      Math.ceil(Math.max(0, listCalls - 1) / LIST_CONCURRENCY),
    replay: Math.ceil(replayCalls / REPLAY_CONCURRENCY),
  };
}
