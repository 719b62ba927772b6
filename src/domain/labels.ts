// Labels and owner references on everything a KafkaCluster owns. The
// `app.kubernetes.io/*` labels follow the Kubernetes recommendations; the
// keelson.dev ones let the operator select a cluster's nodes by pool and role.
import type { V1OwnerReference } from '@kubernetes/client-node';
import { apiVersion, kind } from '../crd/kafka-cluster.ts';

export const labelKeys = {
  cluster: 'keelson.dev/cluster',
  pool: 'keelson.dev/pool',
  nodeId: 'keelson.dev/node-id',
  broker: 'keelson.dev/broker',
  controller: 'keelson.dev/controller',
};

export const annotationKeys = {
  configHash: 'keelson.dev/config-hash',
  /** Set by a forced roll (`keelson roll`): a pod restarts when it differs. */
  restartToken: 'keelson.dev/restart-token',
};

/** Set on every KafkaCluster by the watcher: deletion waits until the operator has torn the cluster down. */
export const teardownFinalizer = 'keelson.dev/teardown';

export interface ClusterRef {
  name: string;
  namespace: string;
  uid: string;
}

export function clusterLabels(cluster: ClusterRef): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'kafka',
    'app.kubernetes.io/instance': cluster.name,
    'app.kubernetes.io/managed-by': 'keelson',
    [labelKeys.cluster]: cluster.name,
  };
}

/** The controller reference that makes Kubernetes garbage-collect owned objects with the cluster. */
export function ownerReference(cluster: ClusterRef): V1OwnerReference {
  return {
    apiVersion,
    kind,
    name: cluster.name,
    uid: cluster.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}
