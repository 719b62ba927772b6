// The NetworkPolicy of a secured cluster: its pods accept the controller and
// replication ports only from the cluster's own nodes and from Keelson, and
// the client listeners only from the cluster's namespace, Keelson and the
// namespaces spec.security.networkPolicy names. Certificates already decide
// who may do what; this keeps everyone else from reaching the ports at all.
import type {
  V1NetworkPolicy,
  V1NetworkPolicyIngressRule,
  V1NetworkPolicyPeer,
  V1NetworkPolicySpec,
} from '@kubernetes/client-node';
import type { KafkaClusterSpec } from '../../crd/kafka-cluster.ts';
import { clusterLabels, labelKeys, ownerReference, type ClusterRef } from '../labels.ts';
import { names } from '../names.ts';
import { controllerListeners, isSecured, replicationListener, type StagedSpec } from '../tls.ts';

/** The label of Keelson's own pods (deploy/operator), in whichever namespace it runs. */
export const operatorPodLabels = { 'app.kubernetes.io/name': 'keelson' } as const;

/** An ingress rule as the API server takes it: `from` (the client's TypeScript model calls it `_from`). */
type IngressRule = Omit<V1NetworkPolicyIngressRule, '_from'> & { from: V1NetworkPolicyPeer[] };
export type NetworkPolicy = Omit<V1NetworkPolicy, 'spec'> & {
  spec: Omit<V1NetworkPolicySpec, 'ingress'> & { ingress: IngressRule[] };
};

const namespaceNamed = (name: string): V1NetworkPolicyPeer => ({
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } },
});

export function buildNetworkPolicy(
  cluster: ClusterRef,
  spec: KafkaClusterSpec & StagedSpec,
): NetworkPolicy | undefined {
  const policy = spec.security?.networkPolicy;
  if (spec.security === undefined || !isSecured(spec) || policy?.enabled === false) return undefined;
  const ownNodes: V1NetworkPolicyPeer = {
    podSelector: { matchLabels: { [labelKeys.cluster]: cluster.name } },
  };
  const keelson: V1NetworkPolicyPeer = {
    namespaceSelector: {},
    podSelector: { matchLabels: { ...operatorPodLabels } },
  };
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: names.networkPolicy(cluster.name),
      namespace: cluster.namespace,
      labels: clusterLabels(cluster),
      ownerReferences: [ownerReference(cluster)],
    },
    spec: {
      podSelector: { matchLabels: { [labelKeys.cluster]: cluster.name } },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [ownNodes, keelson],
          ports: [
            ...controllerListeners(spec).map((l) => ({ protocol: 'TCP', port: l.port })),
            { protocol: 'TCP', port: replicationListener.port },
          ],
        },
        {
          from: [
            ownNodes,
            keelson,
            namespaceNamed(cluster.namespace),
            ...(policy?.clientNamespaces ?? []).map(namespaceNamed),
          ],
          ports: spec.listeners.map((l) => ({ protocol: 'TCP', port: l.port })),
        },
      ],
    },
  };
}
