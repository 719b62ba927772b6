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
  /** The claim's size: what it asks for, what its volume's file system holds, and its StorageClass. */
  claim?: { requested: string; capacity?: string; resizePending: boolean; storageClass?: string };
  /**
   * The node's broker runs but is not serving yet: registered with the
   * controllers and fenced while it recovers its log (after an unclean
   * shutdown) or catches up on metadata. See markStartingBrokers.
   */
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
  /** Nodes (voters and observers) whose process fetched the metadata log just now: they run. */
  fetching?: number[];
}

/**
 * Marks the brokers that are starting up: their process runs (it fetches the
 * metadata log, so the quorum leader lists it) but the broker does not answer
 * requests yet. A KRaft broker processes requests only once it has recovered
 * its log, caught up on metadata and been unfenced; until then its pod may
 * look Ready (a TCP probe connects to the port bound at start) and, after a
 * crash, the registration of its previous run may still look alive, so
 * neither readiness nor the registration tells it apart. Restarting one
 * would start its recovery over.
 */
export function markStartingBrokers(
  nodes: readonly ObservedNode[],
  servingBrokers: readonly number[],
  quorum: QuorumState | undefined,
): ObservedNode[] {
  const fetching = new Set(quorum?.fetching ?? []);
  const serving = new Set(servingBrokers);
  return nodes.map((n) =>
    n.roles.includes('broker') && n.podExists && fetching.has(n.nodeId) && !serving.has(n.nodeId)
      ? { ...n, inLogRecovery: true }
      : n,
  );
}

/** Where each broker with a pod answers clients: what the roll probes to find brokers still starting up. */
export const brokerClientAddresses = (
  nodes: readonly ObservedNode[],
  port: number,
): { nodeId: number; address: string }[] =>
  nodes
    .filter((n) => n.roles.includes('broker') && n.podExists && n.address)
    .map((n) => ({ nodeId: n.nodeId, address: `${n.address}:${port}` }));

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

/**
 * The pass's outcome when no operation is left to run: nodes of the spec
 * whose pods exist but are not ready (a pod that cannot be scheduled or
 * started, a broker that keeps crashing) keep the cluster from being Ready,
 * and a later pass looks again; undefined when every node is ready.
 */
export function nodesNotReady(
  observed: readonly ObservedNode[],
  desiredNames: ReadonlySet<string>,
): { reason: 'NodesNotReady'; message: string } | undefined {
  const unready = observed.filter((n) => desiredNames.has(n.podName) && n.podExists && !n.ready);
  if (unready.length === 0) return undefined;
  const described = unready
    .slice(0, 5)
    .map((n) =>
      n.failure ? `${n.podName} (${n.failure.reason}: ${n.failure.message.slice(0, 200)})` : n.podName,
    );
  const more = unready.length > 5 ? ` and ${unready.length - 5} more` : '';
  return {
    reason: 'NodesNotReady',
    message: `no operation is left to run, but ${unready.length} node(s) are not ready: ${described.join(', ')}${more}`,
  };
}
