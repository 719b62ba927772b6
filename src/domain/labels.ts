// Labels and owner references on everything a KafkaCluster owns. The
// `app.kubernetes.io/*` labels follow the Kubernetes recommendations; the
// keelson.dev ones let the operator select a cluster's nodes by pool and role.
import type { V1OwnerReference } from '@kubernetes/client-node';
import { apiVersion, kind } from '../crd/kafka-cluster-names.ts';

export const labelKeys = {
  cluster: 'keelson.dev/cluster',
  /** The uid of the KafkaCluster an object belongs to: names are reused, uids never. */
  clusterUid: 'keelson.dev/cluster-uid',
  pool: 'keelson.dev/pool',
  nodeId: 'keelson.dev/node-id',
  broker: 'keelson.dev/broker',
  controller: 'keelson.dev/controller',
};

export const annotationKeys = {
  configHash: 'keelson.dev/config-hash',
  /** Set by a forced roll (`keelson roll`): a pod restarts when it differs. */
  restartToken: 'keelson.dev/restart-token',
  /** On each volume claim: the Kafka cluster id of the data on it. */
  kafkaClusterId: 'keelson.dev/kafka-cluster-id',
  /** In a secured cluster: the certificate and trusted CAs the node started with (nodeCertificateMark). */
  certificates: 'keelson.dev/certificates',
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
    [labelKeys.clusterUid]: cluster.uid,
  };
}

interface OwnedMetadata {
  labels?: Record<string, string> | undefined;
  ownerReferences?: { uid: string; controller?: boolean | undefined }[] | undefined;
}

/** The uid of the KafkaCluster an object says it belongs to: its controller, else its uid label. */
export function ownerUidOf(metadata: OwnedMetadata | undefined): string | undefined {
  return (
    metadata?.ownerReferences?.find((r) => r.controller)?.uid ?? metadata?.labels?.[labelKeys.clusterUid]
  );
}

/**
 * Whether an object carrying a cluster's name label is that cluster's: its
 * owner uid is the cluster's. An object with neither an owner reference nor
 * a uid label was made before Keelson recorded uids; it is taken as the
 * cluster's (and labelled when next applied).
 */
export function belongsTo(metadata: OwnedMetadata | undefined, uid: string): boolean {
  const owner = ownerUidOf(metadata);
  return owner === undefined || owner === uid;
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
