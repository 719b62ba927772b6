// The Services and the PodDisruptionBudget of a cluster. The headless Service
// gives each node its DNS name (used by the KRaft quorum, so it publishes
// not-ready addresses: controllers must find each other before they are
// ready); the bootstrap Service is what clients connect to. The budget keeps
// voluntary evictions (node drains) to one broker at a time.
import type { V1PodDisruptionBudget, V1Service } from '@kubernetes/client-node';
import type { KafkaClusterSpec } from '../../crd/kafka-cluster.ts';
import { clusterLabels, labelKeys, ownerReference, type ClusterRef } from '../labels.ts';
import { names } from '../names.ts';
import { ports } from './config.ts';

const metadata = (cluster: ClusterRef, name: string) => ({
  name,
  namespace: cluster.namespace,
  labels: clusterLabels(cluster),
  ownerReferences: [ownerReference(cluster)],
});

export function buildHeadlessService(cluster: ClusterRef, spec: KafkaClusterSpec): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: metadata(cluster, names.headlessService(cluster.name)),
    spec: {
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      selector: { [labelKeys.cluster]: cluster.name },
      ports: [
        { name: 'controller', port: ports.controller, targetPort: ports.controller },
        ...spec.listeners.map((l) => ({ name: l.name, port: l.port, targetPort: l.port })),
      ],
    },
  };
}

export function buildBootstrapService(cluster: ClusterRef, spec: KafkaClusterSpec): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: metadata(cluster, names.bootstrapService(cluster.name)),
    spec: {
      type: 'ClusterIP',
      selector: { [labelKeys.cluster]: cluster.name, [labelKeys.broker]: 'true' },
      ports: spec.listeners.map((l) => ({ name: l.name, port: l.port, targetPort: l.port })),
    },
  };
}

/**
 * At most one node of each kind down through evictions (a drained Node):
 * one budget for the brokers (combined nodes included), one for the
 * controller-only nodes, which would otherwise have none and could all be
 * evicted at once, losing the KRaft quorum. The two never select the same pod:
 * the eviction API refuses to evict a pod that two budgets select.
 */
export function buildDisruptionBudgets(cluster: ClusterRef): V1PodDisruptionBudget[] {
  const budget = (name: string, matchLabels: Record<string, string>): V1PodDisruptionBudget => ({
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: metadata(cluster, name),
    spec: {
      maxUnavailable: 1,
      selector: { matchLabels: { [labelKeys.cluster]: cluster.name, ...matchLabels } },
    },
  });
  return [
    budget(names.brokerDisruptionBudget(cluster.name), { [labelKeys.broker]: 'true' }),
    budget(names.controllerDisruptionBudget(cluster.name), {
      [labelKeys.broker]: 'false',
      [labelKeys.controller]: 'true',
    }),
  ];
}

/** The address clients use, through the bootstrap Service. */
export const bootstrapAddress = (cluster: ClusterRef, spec: KafkaClusterSpec): string =>
  `${names.bootstrapService(cluster.name)}.${cluster.namespace}.svc:${spec.listeners[0]?.port ?? 9092}`;
