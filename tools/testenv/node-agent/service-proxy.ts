// kube-proxy and a load-balancer controller for the test environment, so a
// client outside "Kubernetes" can reach NodePort and LoadBalancer Services the
// way it would on a real cluster: every node port listens on the nodes'
// address (127.0.0.1, all three Nodes share it), and each LoadBalancer
// Service gets an address of its own on loopback (127.251.0.x, kept in its
// status.loadBalancer, not reused at once after the Service goes) that
// listens on the Service's ports. A connection goes
// to a ready pod the Service selects, chosen at connect time, so a pod that
// restarts (a broker roll) is reached again as soon as it is ready.
import {
  PatchStrategy,
  setHeaderOptions,
  type CoreV1Api,
  type V1Pod,
  type V1Service,
  type V1ServicePort,
} from '@kubernetes/client-node';
import { createServer, connect, type Server } from 'node:net';

/** The address every fake Node has (see nodes.ts hostIP). */
const nodeAddress = '127.0.0.1';
const loadBalancerPrefix = '127.251.0.';

interface Route {
  bind: string;
  port: number;
  namespace: string;
  selector: Record<string, string>;
  targetPort: number | string;
}

const routeKey = (r: Route) => `${r.bind}:${r.port}`;
const isReady = (pod: V1Pod) =>
  pod.status?.podIP !== undefined &&
  pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/** The ingress address a LoadBalancer Service was given, if any. */
export const loadBalancerIp = (service: V1Service): string | undefined =>
  service.status?.loadBalancer?.ingress?.[0]?.ip;

/**
 * The loopback addresses to give LoadBalancer Services that have none yet:
 * free ones, going on from `from` rather than back to the lowest, so an
 * address freed by a deleted Service is not handed out again at once (a
 * client of the old Service could still be sending to it).
 */
export function assignLoadBalancerIps(
  services: readonly V1Service[],
  from = 1,
): { assigned: Map<V1Service, string>; next: number } {
  const balanced = services.filter((s) => s.spec?.type === 'LoadBalancer');
  const used = new Set(balanced.map(loadBalancerIp).filter((ip) => ip !== undefined));
  const assigned = new Map<V1Service, string>();
  let next = from;
  for (const service of balanced) {
    if (loadBalancerIp(service) !== undefined) continue;
    for (let tried = 0; tried < 254 && used.has(`${loadBalancerPrefix}${next}`); tried++)
      next = (next % 254) + 1;
    const ip = `${loadBalancerPrefix}${next}`;
    if (used.has(ip)) break;
    used.add(ip);
    assigned.set(service, ip);
    next = (next % 254) + 1;
  }
  return { assigned, next };
}

/** Every address and port the Services ask to be reachable on, with where it leads. */
export function serviceRoutes(services: readonly V1Service[]): Route[] {
  const routes: Route[] = [];
  for (const service of services) {
    const type = service.spec?.type;
    if (type !== 'NodePort' && type !== 'LoadBalancer') continue;
    const selector = service.spec?.selector;
    if (!selector || Object.keys(selector).length === 0) continue;
    const namespace = service.metadata?.namespace ?? 'default';
    const target = (p: V1ServicePort) => (p.targetPort as number | string | undefined) ?? p.port;
    for (const p of service.spec?.ports ?? []) {
      if ((p.protocol ?? 'TCP') !== 'TCP') continue;
      if (p.nodePort)
        routes.push({ bind: nodeAddress, port: p.nodePort, namespace, selector, targetPort: target(p) });
      const ip = type === 'LoadBalancer' ? loadBalancerIp(service) : undefined;
      if (ip) routes.push({ bind: ip, port: p.port, namespace, selector, targetPort: target(p) });
    }
  }
  return routes;
}

export class ServiceProxy {
  private readonly servers = new Map<string, { server: Server; route: Route }>();
  private pods: V1Pod[] = [];
  private turn = 0;
  private nextLoadBalancerIp = 1;
  private readonly core: CoreV1Api;
  private readonly log: { info: (o: object, m: string) => void; warn: (o: object, m: string) => void };

  constructor(core: CoreV1Api, log: ServiceProxy['log']) {
    this.core = core;
    this.log = log;
  }

  /** Brings the listeners in line with the Services, giving new LoadBalancer Services their address. */
  async sync(services: readonly V1Service[], pods: readonly V1Pod[]): Promise<void> {
    this.pods = [...pods];
    const { assigned, next } = assignLoadBalancerIps(services, this.nextLoadBalancerIp);
    this.nextLoadBalancerIp = next;
    for (const [service, ip] of assigned) {
      await this.core.patchNamespacedServiceStatus(
        {
          name: service.metadata?.name ?? '',
          namespace: service.metadata?.namespace ?? 'default',
          body: { status: { loadBalancer: { ingress: [{ ip }] } } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      this.log.info(
        { service: `${service.metadata?.namespace}/${service.metadata?.name}`, ip },
        'assigned a load balancer address',
      );
    }
    const wanted = new Map(serviceRoutes(services).map((r) => [routeKey(r), r]));
    for (const [key, { server, route }] of this.servers) {
      const now = wanted.get(key);
      if (now && JSON.stringify(now) === JSON.stringify(route)) continue;
      server.close();
      this.servers.delete(key);
    }
    for (const [key, route] of wanted) {
      if (this.servers.has(key)) continue;
      const server = createServer((client) => {
        const backends = this.pods.filter(
          (p) =>
            p.metadata?.namespace === route.namespace &&
            Object.entries(route.selector).every(([k, v]) => p.metadata?.labels?.[k] === v) &&
            isReady(p),
        );
        const pod = backends[this.turn++ % Math.max(1, backends.length)];
        const port =
          typeof route.targetPort === 'number'
            ? route.targetPort
            : pod?.spec?.containers.flatMap((c) => c.ports ?? []).find((p) => p.name === route.targetPort)
                ?.containerPort;
        if (!pod?.status?.podIP || port === undefined) {
          client.destroy();
          return;
        }
        const upstream = connect(port, pod.status.podIP);
        client.pipe(upstream).pipe(client);
        const close = () => {
          client.destroy();
          upstream.destroy();
        };
        client.on('error', close).on('close', close);
        upstream.on('error', close).on('close', close);
      });
      server.on('error', (err) => {
        this.log.warn({ err, address: key }, 'cannot listen for a Service');
        this.servers.delete(key);
      });
      server.listen(route.port, route.bind);
      this.servers.set(key, { server, route });
    }
  }

  close(): void {
    for (const { server } of this.servers.values()) server.close();
    this.servers.clear();
  }
}
