import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { redisKeys } from '../src/redis/keys.js';
import { startWechatSimulator, type WechatSimulator } from '../src/wechat-sim/sim.server.js';
import { roomsFixture } from './support/fixtures.js';
import {
  createPrivateRedisCluster,
  type PrivateRedisCluster,
} from './support/private-redis-cluster.js';
import { waitUntil } from './support/processes.js';
import { PIN_ROOM, ROOMS, SYNC_ROOMS, type RoomJson } from './support/queries.js';
import { startServiceProcess, type ServiceProcess } from './support/service-process.js';
import { uniqueAppId } from './support/test-app.js';

type Page = { rooms: { items: RoomJson[]; totalCount: number } };

const PASSWORD = 'cluster-secret-0123';
/** How long a recovery may take: the cluster client retries every 2 s at most. */
const RECOVERY_MS = 20_000;

// A private three-master cluster and two service processes on it, sharing the test MySQL: the
// machine's shared Redis is not involved.
let cluster: PrivateRedisCluster;
let sim: WechatSimulator;
let instances: ServiceProcess[] = [];
let appId: string;
/** The masters in the order the change feeds try them: by `host:port` text, not by number. */
let feedPorts: number[];
/** The master serving the app's hash slot, chosen to be another than the feeds' first. */
let appPort: number;

async function firstIds(service: ServiceProcess): Promise<number[]> {
  const page = await service.gql<Page>(ROOMS, { pageSize: 3 });
  expect(page.errors ?? []).toEqual([]);
  return page.data!.rooms.items.map((room) => room.roomId);
}

async function cacheHits(service: ServiceProcess): Promise<number> {
  const { body } = await service.get('/metrics');
  return Number(/^wxlive_response_cache_hits_total (\d+)$/m.exec(body)?.[1]);
}

/** How many change-feed connections each live node holds (CLIENT LIST, by connection name). */
async function feedsByNode(): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  for (const port of cluster.ports) {
    const node = cluster.connect(port);
    node.on('error', () => undefined);
    try {
      const clients = String(await node.client('LIST'));
      counts.set(port, clients.match(/ name=wxlive-change-feed /g)?.length ?? 0);
    } catch {
      // A node that is down holds none.
    } finally {
      node.disconnect();
    }
  }
  return counts;
}

/** Waits for /readyz to answer 200; on a timeout, tells why it did not and what the service logged. */
async function readyAgain(service: ServiceProcess): Promise<void> {
  let last = '';
  try {
    await waitUntil(
      '/readyz to answer 200 again',
      async () => {
        const ready = await service.get('/readyz');
        last = ready.body;
        return ready.status === 200;
      },
      { timeoutMs: RECOVERY_MS, intervalMs: 250 },
    );
  } catch (error) {
    const logs = service.output().split('\n').slice(-20).join('\n');
    throw new Error(`${(error as Error).message}; last /readyz: ${last}\n${logs}`, {
      cause: error,
    });
  }
}

/** Feed connections by node, as `feedsByNode` gives them: every instance's on `port`. */
const onlyOn = (port: number, nodes: number[]) =>
  new Map(nodes.map((node) => [node, node === port ? instances.length : 0]));

/** Both instances' feeds subscribed on `port`, and on no other node. */
async function feedsAllOn(port: number): Promise<boolean> {
  const counts = await feedsByNode();
  const node = cluster.connect(port);
  node.on('error', () => undefined);
  try {
    const [, subscribers] = (await node.pubsub('NUMSUB', redisKeys.dataChanged(appId))) as [
      string,
      number,
    ];
    return (
      subscribers === instances.length &&
      [...counts].every(([other, count]) => count === (other === port ? instances.length : 0))
    );
  } finally {
    node.disconnect();
  }
}

/** The first page before any pin, and with the oldest room pinned. */
const FIRST_PAGE = [1004, 1003, 1002];
const PINNED_PAGE = [1000, 1004, 1003];
/** What `on` shows at once after each step: what a working change feed gives. */
const SEEN_AT_ONCE = { cached: true, afterPin: PINNED_PAGE, afterUnpin: FIRST_PAGE };

/**
 * Has `on` cache the first page, pins the oldest room on `from` and unpins it, and reads `on` as
 * soon as each mutation is answered: without the change feed, `on` would answer from its cache.
 */
async function pinRoundTrip(from: ServiceProcess, on: ServiceProcess) {
  await firstIds(on);
  const hits = await cacheHits(on);
  await firstIds(on);
  const cached = (await cacheHits(on)) === hits + 1;
  const roomId = PINNED_PAGE[0]!;
  const pin = await from.gql(PIN_ROOM, { roomId, pinned: true }, { admin: true });
  const afterPin = await firstIds(on);
  const unpin = await from.gql(PIN_ROOM, { roomId, pinned: false }, { admin: true });
  const afterUnpin = await firstIds(on);
  if (pin.errors || unpin.errors) throw new Error(JSON.stringify([pin.errors, unpin.errors]));
  return { cached, afterPin, afterUnpin };
}

beforeAll(async () => {
  cluster = await createPrivateRedisCluster({ password: PASSWORD });
  feedPorts = cluster.ports
    .map((port) => `127.0.0.1:${port}`)
    .sort()
    .map((address) => Number(address.split(':')[1]));
  // An app whose keys live elsewhere than the feeds, so losing the feeds' node leaves the app's
  // keys reachable.
  do {
    appId = uniqueAppId();
    appPort = await cluster.portServing(redisKeys.accessToken(appId));
  } while (appPort === feedPorts[0]);

  sim = await startWechatSimulator({ appid: appId, rooms: roomsFixture(5) });
  const env = {
    // With a cluster the URL's host is ignored; it gives the password.
    REDIS_URL: `redis://:${PASSWORD}@ignored.invalid:6379`,
    REDIS_CLUSTER_NODES: cluster.nodes,
  };
  instances = await Promise.all([
    startServiceProcess({ appId, sim, env }),
    startServiceProcess({ appId, sim, env }),
  ]);
});

afterAll(async () => {
  await Promise.all(instances.map((service) => service.stop()));
  await sim?.close();
  await cluster?.close();
});

describe('Redis Cluster', () => {
  it('syncs through REDIS_CLUSTER_NODES and keeps every key of the app on the node of its hash slot', async () => {
    const [a, b] = instances as [ServiceProcess, ServiceProcess];
    const synced = await a.gql(SYNC_ROOMS, {}, { admin: true });
    expect(synced.errors).toBeUndefined();
    const page = await b.gql<Page>(ROOMS, {});
    expect(page.data!.rooms.totalCount).toBe(5);

    const keysByPort: Record<number, string[]> = {};
    for (const port of cluster.ports) {
      const node = cluster.connect(port);
      try {
        keysByPort[port] = await node.keys(`wxlive:{${appId}}:*`);
      } finally {
        node.disconnect();
      }
    }
    // The token and its fetch time (one MULTI) and the quota counter (a Lua script over three keys).
    const appKeys = expect.arrayContaining([
      redisKeys.accessToken(appId),
      redisKeys.accessTokenFetchedAt(appId),
      expect.stringMatching(/:quota:.*:used$/),
    ]);
    expect(keysByPort).toEqual(
      Object.fromEntries(cluster.ports.map((port) => [port, port === appPort ? appKeys : []])),
    );
  });

  it('subscribes the change feed of every instance on the same node of the cluster', async () => {
    await waitUntil('both feeds to subscribe on the first master', () => feedsAllOn(feedPorts[0]!));
    expect(await feedsByNode()).toEqual(onlyOn(feedPorts[0]!, cluster.ports));
  });

  it('shows a pin sent to one instance on the other at once, through cluster pub/sub', async () => {
    const [a, b] = instances as [ServiceProcess, ServiceProcess];
    expect(await pinRoundTrip(a, b)).toEqual(SEEN_AT_ONCE);
    expect(await pinRoundTrip(b, a)).toEqual(SEEN_AT_ONCE);
  });

  it('moves the change feeds to another node when theirs dies, and pins still show at once', async () => {
    const [a, b] = instances as [ServiceProcess, ServiceProcess];
    await cluster.killNode(feedPorts[0]!);
    await waitUntil('both feeds to move to the next master', () => feedsAllOn(feedPorts[1]!), {
      timeoutMs: RECOVERY_MS,
    });
    expect(await feedsByNode()).toEqual(onlyOn(feedPorts[1]!, feedPorts.slice(1)));
    expect(await pinRoundTrip(a, b)).toEqual(SEEN_AT_ONCE);
    expect((await b.gql(SYNC_ROOMS, {}, { admin: true })).errors).toBeUndefined();
  });

  it('serves reads from MySQL while the cluster is down, refuses admin operations, and recovers by itself', async () => {
    const [a, b] = instances as [ServiceProcess, ServiceProcess];
    await cluster.kill();

    for (const service of instances) {
      const page = await service.gql<Page>(ROOMS, {});
      expect(page.errors ?? []).toEqual([]);
      expect(page.data!.rooms.totalCount).toBe(5);
      const ready = await service.get('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body).toMatch(/Redis/);
    }
    const refused = await a.gql(SYNC_ROOMS, {}, { admin: true });
    expect(refused.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');

    await cluster.start();
    for (const service of instances) await readyAgain(service);
    await waitUntil(
      'both feeds to subscribe again, on one node',
      async () => (await Promise.all(cluster.ports.map(feedsAllOn))).some(Boolean),
      { timeoutMs: RECOVERY_MS },
    );
    expect((await a.gql(SYNC_ROOMS, {}, { admin: true })).errors).toBeUndefined();
    expect(await pinRoundTrip(b, a)).toEqual(SEEN_AT_ONCE);
  });
});
