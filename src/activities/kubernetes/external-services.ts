// The Services of a cluster's external listeners, and the addresses they
// give each broker: applied (the same ownership checks as every owned
// object), the Services of listeners no longer in the spec deleted, then read
// back until every load balancer has its address. The wait heartbeats and is
// retried by the workflow, so it survives a restart of the operator: a cloud
// load balancer can take minutes.
import type { KubeConfig, V1Node, V1Service } from '@kubernetes/client-node';
import { absentWhenNotFound, KubeApi, resourcePath } from '../../kubernetes/api.ts';
import { heartbeat, sleep } from '@temporalio/activity';
import type { Listener } from '../../crd/kafka-cluster.ts';
import { labelKeys, ownerUidOf, type ClusterRef } from '../../domain/labels.ts';
import {
  buildExternalServices,
  externalListeners,
  listenerLabel,
  listenerType,
} from '../../domain/manifests/external.ts';
import { names } from '../../domain/names.ts';
import type { ExternalAddress, KafkaNode } from '../../domain/nodes.ts';
import { objectActivities } from './objects.ts';

export interface ExposedListener {
  name: string;
  type: 'nodeport' | 'loadbalancer';
  /** host:port a client outside Kubernetes bootstraps from. */
  bootstrap: string;
}

export interface ExposedListeners {
  /** Per node: where it is reached on each external listener (what it advertises). */
  nodes: { podName: string; external: ExternalAddress[] }[];
  listeners: ExposedListener[];
}

/** The address a client uses for a Node: its external address if it has one. */
const nodeAddress = (node: V1Node | undefined): string | undefined => {
  const addresses = node?.status?.addresses ?? [];
  return (
    addresses.find((a) => a.type === 'ExternalIP')?.address ??
    addresses.find((a) => a.type === 'InternalIP')?.address
  );
};

const loadBalancerAddress = (service: V1Service | undefined): string | undefined => {
  const ingress = service?.status?.loadBalancer?.ingress?.[0];
  return ingress?.ip ?? ingress?.hostname;
};

export function externalServiceActivities(kube: KubeConfig) {
  const api = new KubeApi(kube);
  const objects = objectActivities(kube);
  return {
    async exposeListeners(input: {
      cluster: ClusterRef;
      listeners: Listener[];
      nodes: KafkaNode[];
    }): Promise<ExposedListeners> {
      const { cluster } = input;
      const desired = buildExternalServices(cluster, { listeners: input.listeners }, input.nodes);
      if (desired.length > 0) await objects.applyObjects(desired);
      // Services of listeners or brokers that are gone: this cluster's only.
      const wanted = new Set(desired.map((s) => s.metadata?.name));
      const existing = await api.get<{ items: V1Service[] }>(
        resourcePath('v1', 'services', cluster.namespace),
        {
          labelSelector: `${labelKeys.cluster}=${cluster.name},${listenerLabel}`,
        },
      );
      for (const stale of existing.items) {
        const name = stale.metadata?.name ?? '';
        if (wanted.has(name) || ownerUidOf(stale.metadata) !== cluster.uid) continue;
        await api.delete(resourcePath('v1', 'services', cluster.namespace, name)).catch(absentWhenNotFound);
      }
      const listeners = externalListeners({ listeners: input.listeners });
      if (listeners.length === 0) return { nodes: [], listeners: [] };

      const read = (name: string) =>
        api.get<V1Service>(resourcePath('v1', 'services', cluster.namespace, name));
      for (;;) {
        const services = new Map<string, V1Service>();
        for (const service of desired) {
          const name = service.metadata?.name ?? '';
          services.set(name, await read(name));
        }
        const waiting = [...services]
          .filter(([, s]) => s.spec?.type === 'LoadBalancer' && loadBalancerAddress(s) === undefined)
          .map(([name]) => name);
        if (waiting.length > 0) {
          heartbeat({ step: 'waiting for load balancer addresses', waiting });
          await sleep(2_000);
          continue;
        }
        const brokers = input.nodes.filter((n) => n.roles.includes('broker'));
        const nodes = await api.get<{ items: V1Node[] }>(resourcePath('v1', 'nodes')).then((l) => l.items);
        const addressOf = (listener: Listener, service: V1Service | undefined): ExternalAddress => {
          const port = service?.spec?.ports?.[0];
          return listenerType(listener) === 'nodeport'
            ? { listener: listener.name, port: port?.nodePort ?? listener.port }
            : { listener: listener.name, host: loadBalancerAddress(service) ?? '', port: listener.port };
        };
        const bootstrapHost = (l: Listener) =>
          loadBalancerAddress(services.get(names.externalBootstrap(cluster.name, l.name)));
        return {
          nodes: brokers.map((node) => ({
            podName: node.podName,
            external: listeners.map((l) => {
              const address = addressOf(
                l,
                services.get(names.externalBroker(cluster.name, l.name, node.nodeId)),
              );
              const viaBootstrap = bootstrapHost(l);
              return viaBootstrap ? { ...address, bootstrapHost: viaBootstrap } : address;
            }),
          })),
          listeners: listeners.map((l) => {
            const bootstrap = addressOf(l, services.get(names.externalBootstrap(cluster.name, l.name)));
            const host = bootstrap.host ?? nodeAddress(nodes[0]) ?? '<node address>';
            return {
              name: l.name,
              type: listenerType(l) as ExposedListener['type'],
              bootstrap: `${host}:${bootstrap.port}`,
            };
          }),
        };
      }
    },
  };
}
