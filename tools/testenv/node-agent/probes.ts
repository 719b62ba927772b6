// The readiness probes the agent runs: tcpSocket and httpGet against the pod's
// own address. exec probes would run commands inside the image, which the
// agent does not have; for those the broker's own start-up signal stands in.
import type { V1Container, V1Probe } from '@kubernetes/client-node';
import { request } from 'node:http';
import { tcpOpen } from '../src/net.ts';

function portNumber(container: V1Container, port: number | string): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

function httpCheck(host: string, port: number, path: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host, port, path, timeout: timeoutMs }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve(status >= 200 && status < 400);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Runs the container's readiness probe once; a pod without one is ready when started. */
export async function probeReady(
  container: V1Container,
  probe: V1Probe | undefined,
  podIP: string,
): Promise<boolean> {
  if (probe === undefined) return true;
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.tcpSocket) {
    const port = portNumber(container, probe.tcpSocket.port as number | string);
    return port !== undefined && tcpOpen(probe.tcpSocket.host ?? podIP, port, timeoutMs);
  }
  if (probe.httpGet) {
    const port = portNumber(container, probe.httpGet.port as number | string);
    return (
      port !== undefined && httpCheck(probe.httpGet.host ?? podIP, port, probe.httpGet.path ?? '/', timeoutMs)
    );
  }
  return true;
}
