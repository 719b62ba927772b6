// External listeners (type nodeport or loadbalancer): a bootstrap Service and
// one Service per broker for each, and the address each broker advertises on
// it. A node port broker advertises its node's address ($(HOST_IP), from the
// pod's status) and its Service's node port; a load balancer broker, its
// Service's load balancer address and the listener's port. A per-broker
// host or port in the spec wins over what Keelson finds.
import type { V1Service } from '@kubernetes/client-node';
import type { KafkaClusterSpec, Listener } from '../../crd/kafka-cluster.ts';
import { clusterLabels, labelKeys, ownerReference, type ClusterRef } from '../labels.ts';
import { names } from '../names.ts';
import type { KafkaNode } from '../nodes.ts';

export type ListenerType = 'internal' | 'nodeport' | 'loadbalancer';
type ListenerSpec = Pick<Listener, 'name' | 'port'> & {
  type?: ListenerType | undefined;
  external?: Listener['external'];
};

/** Specs read before listener types existed have none: they are internal. */
export const listenerType = (listener: { type?: ListenerType | undefined }): ListenerType =>
  listener.type ?? 'internal';

export const externalListeners = <L extends ListenerSpec>(spec: { listeners: readonly L[] }): L[] =>
  spec.listeners.filter((l) => listenerType(l) !== 'internal');

/** The label naming the listener a Service is for. */
export const listenerLabel = 'keelson.dev/listener';

/** The address a broker advertises on an external listener. */
export function advertisedAddress(listener: ListenerSpec, node: KafkaNode): { host: string; port: number } {
  const override = listener.external?.brokers?.find((b) => b.nodeId === node.nodeId);
  const found = node.external?.find((a) => a.listener === listener.name);
  const fallbackHost = listenerType(listener) === 'nodeport' ? '$(HOST_IP)' : '$(POD_IP)';
  return {
    host: override?.host ?? found?.host ?? fallbackHost,
    port: override?.port ?? found?.port ?? listener.port,
  };
}

export function buildExternalServices(
  cluster: ClusterRef,
  spec: Pick<KafkaClusterSpec, 'listeners'>,
  nodes: readonly KafkaNode[],
): V1Service[] {
  const brokers = nodes.filter((n) => n.roles.includes('broker'));
  return externalListeners(spec).flatMap((listener) => {
    const type = listenerType(listener) === 'nodeport' ? 'NodePort' : 'LoadBalancer';
    const service = (name: string, selector: Record<string, string>, nodePort?: number): V1Service => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name,
        namespace: cluster.namespace,
        labels: { ...clusterLabels(cluster), [listenerLabel]: listener.name },
        ...(listener.external?.annotations ? { annotations: listener.external.annotations } : {}),
        ownerReferences: [ownerReference(cluster)],
      },
      spec: {
        type,
        selector: { [labelKeys.cluster]: cluster.name, ...selector },
        ports: [
          {
            name: listener.name,
            port: listener.port,
            targetPort: listener.port,
            ...(nodePort !== undefined ? { nodePort } : {}),
          },
        ],
      },
    });
    return [
      service(
        names.externalBootstrap(cluster.name, listener.name),
        { [labelKeys.broker]: 'true' },
        listener.external?.bootstrapNodePort,
      ),
      ...brokers.map((node) =>
        service(
          names.externalBroker(cluster.name, listener.name, node.nodeId),
          { [labelKeys.nodeId]: String(node.nodeId) },
          listener.external?.brokers?.find((b) => b.nodeId === node.nodeId)?.nodePort,
        ),
      ),
    ];
  });
}

/**
 * The hosts a node is reached on over its TLS external listeners, known
 * before it starts (its load balancer's address or a per-broker host, and the
 * bootstrap load balancer's address): its certificate must name them, or
 * clients checking the name would refuse it.
 */
export function externalTlsHosts(
  spec: { listeners: readonly (ListenerSpec & { tls: boolean })[] },
  node: KafkaNode,
): string[] {
  if (!node.roles.includes('broker')) return [];
  const hosts = externalListeners(spec)
    .filter((l) => l.tls)
    .flatMap((l) => [
      advertisedAddress(l, node).host,
      node.external?.find((a) => a.listener === l.name)?.bootstrapHost ?? '$(none)',
    ])
    .filter((host) => !host.startsWith('$('));
  return [...new Set(hosts)];
}
