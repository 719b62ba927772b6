// /healthz, /readyz and /metrics on one small HTTP server. Liveness says the
// process and its loops are running; readiness says the worker polls and,
// on the leader, the watcher has listed everything once (a standby replica
// is ready: it serves as a worker and waits for the Lease).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { registry, scrapeHooks } from './metrics.ts';
import { splitAddress } from './address.ts';

export interface HealthChecks {
  /** Problems that make the process unhealthy (restart it); empty when live. */
  liveness(): string[];
  /** Reasons the process should not get work yet; empty when ready. */
  readiness(): string[];
}

export async function startHealthServer(address: string, checks: HealthChecks): Promise<Server> {
  const [host, port] = splitAddress(address);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const verdict = (problems: string[]) => {
      res.writeHead(problems.length === 0 ? 200 : 503, { 'content-type': 'text/plain' });
      res.end(problems.length === 0 ? 'ok\n' : `${problems.join('\n')}\n`);
    };
    if (path === '/healthz') return verdict(checks.liveness());
    if (path === '/readyz') return verdict(checks.readiness());
    if (path === '/metrics') {
      for (const hook of scrapeHooks) hook();
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        },
        (err: unknown) => {
          res.writeHead(500);
          res.end(String(err));
        },
      );
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

export const boundAddress = (server: Server): string => {
  const { address, port } = server.address() as AddressInfo;
  return `${address}:${port}`;
};
