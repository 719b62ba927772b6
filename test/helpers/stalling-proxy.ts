// A TCP proxy in front of the API server that can make the connections it
// carries go silent without closing them (what a half-dead load balancer or
// a dropped NAT entry does to a long-lived watch), close them all, and count
// them. New connections after a stall are carried normally.
import { KubeConfig } from '@kubernetes/client-node';
import { createServer, connect, type Socket } from 'node:net';

export interface StallingProxy {
  /** A kubeconfig like the one given, with the server address pointing at the proxy. */
  kubeconfig: KubeConfig;
  /** Stops forwarding on every open connection, in both directions, without closing any; returns how many. */
  stallOpenConnections: () => number;
  /** Closes every open connection, as an API server that restarts does. */
  resetOpenConnections: () => void;
  /** Connections accepted so far. */
  connectionsAccepted: () => number;
  close: () => Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
  stalled: boolean;
}

export async function stallingProxy(through: KubeConfig): Promise<StallingProxy> {
  const target = new URL(through.getCurrentCluster()?.server ?? '');
  const pairs = new Set<Pair>();
  let accepted = 0;
  const server = createServer((client) => {
    accepted++;
    const upstream = connect(Number(target.port), target.hostname);
    const pair: Pair = { client, upstream, stalled: false };
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const closed = () => {
      // A stalled connection says nothing to either side, not even that the other one closed.
      if (pair.stalled) return;
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) socket.on('error', closed).on('close', closed);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };

  const kubeconfig = new KubeConfig();
  kubeconfig.loadFromString(through.exportConfig());
  const current = kubeconfig.getCurrentCluster()?.name;
  kubeconfig.loadFromOptions({
    clusters: kubeconfig.clusters.map((c) =>
      c.name === current ? { ...c, server: `https://127.0.0.1:${port}` } : c,
    ),
    users: kubeconfig.users,
    contexts: kubeconfig.contexts,
    currentContext: kubeconfig.currentContext,
  });

  return {
    kubeconfig,
    stallOpenConnections() {
      let count = 0;
      for (const pair of pairs) {
        if (pair.stalled) continue;
        pair.stalled = true;
        pair.client.unpipe(pair.upstream);
        pair.upstream.unpipe(pair.client);
        pair.client.pause();
        pair.upstream.pause();
        count++;
      }
      return count;
    },
    resetOpenConnections() {
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
    },
    connectionsAccepted: () => accepted,
    async close() {
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
