// A TCP proxy the soak puts between the operator and a server (the API
// server, Temporal), to inject the network's faults on a schedule: added
// latency on every byte each way, every open connection dropped at once, and
// new connections refused for a while.
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** host:port the proxy listens on. */
  address: string;
  /** Delays every chunk by `ms` each way from now on (0: none); order is kept. */
  setLatency: (ms: number) => void;
  /** Resets every open connection; returns how many there were. */
  dropConnections: () => number;
  /** Resets new connections the moment they open, until `refuse(false)`. */
  refuse: (on: boolean) => void;
  /** Connections accepted so far. */
  accepted: () => number;
  close: () => Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let latencyMs = 0;
  let refusing = false;
  let accepted = 0;
  const open = new Set<Socket>();

  /** Copies `from` to `to`, each chunk held `latencyMs` as it was when the chunk arrived. */
  const forward = (from: Socket, to: Socket) => {
    let lastDue = 0;
    from.on('data', (chunk: Buffer) => {
      if (latencyMs === 0 && lastDue <= Date.now()) {
        to.write(chunk);
        return;
      }
      // Never before an earlier chunk: the stream's order is what the protocol relies on.
      const due = Math.max(Date.now() + latencyMs, lastDue);
      lastDue = due;
      setTimeout(() => to.writable && to.write(chunk), due - Date.now());
    });
    from.on('end', () => setTimeout(() => to.end(), Math.max(0, lastDue - Date.now())));
  };

  const server: Server = createServer((client) => {
    if (refusing) {
      client.resetAndDestroy();
      return;
    }
    accepted++;
    const upstream = connect(target.port, target.host);
    open.add(client);
    open.add(upstream);
    const done = () => {
      open.delete(client);
      open.delete(upstream);
      if (!client.destroyed) client.destroy();
      if (!upstream.destroyed) upstream.destroy();
    };
    client.on('error', done).on('close', done);
    upstream.on('error', done).on('close', done);
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    setLatency: (ms) => (latencyMs = ms),
    dropConnections: () => {
      const sockets = [...open];
      for (const socket of sockets) socket.resetAndDestroy();
      return sockets.length / 2;
    },
    refuse: (on) => (refusing = on),
    accepted: () => accepted,
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
