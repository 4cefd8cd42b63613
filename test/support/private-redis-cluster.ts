import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Redis } from 'ioredis';

import { freePort, spawnWatched, waitUntil, type WatchedProcess } from './processes.js';
import { throwawayRedisArgs } from './private-redis.js';

/**
 * A Redis Cluster of a test's own: masters without replicas on free ports, in a temporary
 * directory, persisting no data. Never the machine's shared Redis.
 */
export interface PrivateRedisCluster {
  /** The masters' client ports. */
  ports: number[];
  /** `127.0.0.1:<port>,…`, the value of REDIS_CLUSTER_NODES. */
  nodes: string;
  /** The port of the master serving `key`'s hash slot. */
  portServing(key: string): Promise<number>;
  /** A plain connection to one node, authenticated (the caller disconnects it). */
  connect(port: number): Redis;
  /** SIGKILLs the node on `port`, as a crash; waits for the exit. */
  killNode(port: number): Promise<void>;
  /** SIGKILLs every node, as a crash; waits for the exits. */
  kill(): Promise<void>;
  /**
   * Starts the nodes again on their ports; they find each other from their cluster config files,
   * and this resolves once every node reports the cluster up.
   */
  start(): Promise<void>;
  /** Kills the nodes and removes the directory. */
  close(): Promise<void>;
  /** The nodes' output so far. */
  output(): string;
}

/** Distinct free ports: the kernel may hand the same one out twice in a row. */
async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

export async function createPrivateRedisCluster(
  options: { masters?: number; password?: string } = {},
): Promise<PrivateRedisCluster> {
  const masters = options.masters ?? 3;
  const { password } = options;
  // A client port and a cluster-bus port per node. The bus port is set explicitly because the
  // default (port + 10000) may be taken, or past 65535.
  const ports = await distinctFreePorts(masters * 2);
  const clientPorts = ports.slice(0, masters);
  const dir = await mkdtemp(join(tmpdir(), 'wxlive-redis-cluster-'));
  let servers: WatchedProcess[] = [];
  const outputs: string[] = [];
  const output = () => [...outputs, ...servers.map((server) => server.output())].join('');
  const connect = (port: number) =>
    new Redis({ host: '127.0.0.1', port, password, maxRetriesPerRequest: 1, lazyConnect: true });

  /** True once the node answers PING (with the password, when there is one). */
  async function answers(port: number): Promise<boolean> {
    const probe = connect(port);
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG';
    } finally {
      probe.disconnect();
    }
  }

  async function clusterIsUp(port: number): Promise<boolean> {
    const probe = connect(port);
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      return String(await probe.cluster('INFO')).includes('cluster_state:ok');
    } finally {
      probe.disconnect();
    }
  }

  async function startNodes(): Promise<void> {
    outputs.push(...servers.map((server) => server.output()));
    servers = clientPorts.map((port, index) =>
      spawnWatched(
        'redis-server',
        throwawayRedisArgs(port, dir, [
          '--cluster-port',
          String(ports[masters + index]),
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout',
          '5000',
          // The slots of the other masters stay served while one is down (there are no replicas).
          '--cluster-require-full-coverage',
          'no',
          ...(password ? ['--requirepass', password, '--masterauth', password] : []),
        ]),
      ),
    );
    for (const [index, port] of clientPorts.entries()) {
      const server = servers[index]!;
      await waitUntil(`cluster node on port ${port}`, () => answers(port), {
        giveUpIf: () =>
          server.exitStatus() ? `redis-server exited early:\n${server.output()}` : undefined,
      });
    }
  }

  async function waitForClusterUp(): Promise<void> {
    for (const port of clientPorts) {
      await waitUntil(`cluster_state:ok on port ${port}`, () => clusterIsUp(port));
    }
  }

  const cluster: PrivateRedisCluster = {
    ports: clientPorts,
    nodes: clientPorts.map((port) => `127.0.0.1:${port}`).join(','),
    output,
    connect,
    async portServing(key) {
      const probe = connect(clientPorts[0]!);
      try {
        const slot = Number(await probe.cluster('KEYSLOT', key));
        const ranges = await probe.cluster('SLOTS');
        const master = ranges.find(([first, last]) => slot >= first && slot <= last)?.[2];
        if (!master) throw new Error(`no node serves slot ${slot}`);
        return master[1];
      } finally {
        probe.disconnect();
      }
    },
    async killNode(port) {
      const server = servers[clientPorts.indexOf(port)];
      if (!server) throw new Error(`no node of this cluster listens on port ${port}`);
      await server.stop('SIGKILL');
    },
    async kill() {
      await Promise.all(servers.map((server) => server.stop('SIGKILL')));
    },
    async start() {
      await startNodes();
      await waitForClusterUp();
    },
    async close() {
      await cluster.kill();
      await rm(dir, { recursive: true, force: true });
    },
  };

  try {
    await startNodes();
    const create = spawnWatched('redis-cli', [
      ...(password ? ['-a', password, '--no-auth-warning'] : []),
      '--cluster',
      'create',
      ...clientPorts.map((port) => `127.0.0.1:${port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    const created = await create.exited;
    if (created.code !== 0) {
      throw new Error(`redis-cli --cluster create failed:\n${create.output()}`);
    }
    // `create` returns once the slots are assigned; every node must also agree the cluster is up.
    await waitForClusterUp();
  } catch (error) {
    const message = `${(error as Error).message}\n--- cluster output ---\n${output()}`;
    await cluster.close();
    throw new Error(message, { cause: error });
  }
  return cluster;
}
