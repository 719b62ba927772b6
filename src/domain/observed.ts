// What the operator observes about a running cluster, gathered by activities
// (Kubernetes pods and claims, Kafka metadata and quorum) and handed to the
// pure planning and roll functions as plain data.

export interface ObservedNode {
  podName: string;
  nodeId: number;
  pool: string;
  zone: string;
  roles: ('controller' | 'broker')[];
  podExists: boolean;
  claimExists: boolean;
  /** The pod's IP, once it has one. */
  address?: string;
  /** The pod's Ready condition. */
  ready: boolean;
  /** keelson.dev/config-hash of the running pod. */
  configHash?: string;
  /** Why the pod cannot run, when Kubernetes says so (Unschedulable, ErrImagePull, CrashLoopBackOff, …). */
  failure?: { reason: string; message: string };
  /** The broker is replaying its log after an unclean shutdown. */
  inLogRecovery?: boolean;
}

export interface QuorumVoter {
  nodeId: number;
  /** Within the quorum's fetch lag bound of the leader. */
  caughtUp: boolean;
}

export interface QuorumState {
  leaderId: number;
  voters: QuorumVoter[];
}

export interface PartitionState {
  topic: string;
  partition: number;
  replicas: number[];
  isr: number[];
  /** The topic's effective min.insync.replicas. */
  minIsr: number;
}

/** host:port of every ready broker, for clients to bootstrap from. */
export const readyBrokerAddresses = (nodes: readonly ObservedNode[], port: number): string[] =>
  nodes.filter((n) => n.ready && n.address && n.roles.includes('broker')).map((n) => `${n.address}:${port}`);

/** Where each node answers protocol requests: its client listener, or the controller listener on a controller-only node. */
export const nodeProtocolAddresses = (
  nodes: readonly ObservedNode[],
  brokerPort: number,
  controllerPort: number,
): { nodeId: number; address: string }[] =>
  nodes
    .filter((n) => n.address)
    .map((n) => ({
      nodeId: n.nodeId,
      address: `${n.address}:${n.roles.includes('broker') ? brokerPort : controllerPort}`,
    }));
