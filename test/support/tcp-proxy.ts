import { connect, createServer, type Server, type Socket } from 'node:net';

import { freePort } from './processes.js';

/**
 * A TCP forwarder on a port of its own, to cut one client off from a shared server (a network
 * partition) without touching the server: the other clients keep using it.
 */
export interface TcpProxy {
  port: number;
  /** Drops every forwarded connection and refuses new ones. */
  cut(): Promise<void>;
  /** Forwards again, on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const started = createServer((client) => {
        const upstream = connect(target);
        sockets.add(client).add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        client.pipe(upstream).pipe(client);
      });
      started.once('error', reject);
      started.listen(port, '127.0.0.1', () => resolve());
      server = started;
    });

  const cut = async () => {
    const stopping = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    if (stopping) await new Promise<void>((resolve) => stopping.close(() => resolve()));
  };

  await listen();
  return {
    port,
    cut,
    async restore() {
      if (!server) await listen();
    },
    close: cut,
  };
}
