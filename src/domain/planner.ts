// What a cluster needs next: the ordered list of operations that takes the
// observed cluster to the desired spec, as a pure function. The cluster
// workflow runs the first operation, observes again and plans again, so the
// list only has to be right for the cluster as it is now.
//
// Order: nothing while paused; a cluster with no node at all is provisioned;
// otherwise missing pods or claims are repaired first (drift), then claims
// smaller than their pool's storage.size grown, new nodes added, dynamic
// broker configs applied, out-of-date pods rolled, the metadata.version
// raised, and only last are nodes removed.
import type { KafkaClusterSpec } from '../crd/kafka-cluster.ts';
import { kafkaVersions, type KafkaVersion } from '../crd/kafka-versions.ts';
import { isDynamicBrokerConfig } from './dynamic-config.ts';
import type { KafkaNode } from './nodes.ts';
import type { ObservedNode } from './observed.ts';
import { quantityBytes } from './quantity.ts';

/** A desired node with the config hash its pod must carry. */
export interface DesiredNode extends KafkaNode {
  configHash: string;
}

export interface ObservedCluster {
  nodes: readonly ObservedNode[];
  /** Cluster-wide dynamic broker configs as Kafka reports them; undefined when no broker answered. */
  dynamicConfig: Readonly<Record<string, string>> | undefined;
  /** The finalized metadata.version; undefined when no broker answered. */
  metadataVersion: string | undefined;
}

export type Operation =
  | { type: 'provision'; nodes: string[] }
  | { type: 'repair'; pods: string[]; claims: string[] }
  /** Grow the claims of these nodes to their pool's storage.size. */
  | { type: 'expand'; nodes: string[] }
  | { type: 'scale-up'; nodes: string[] }
  | { type: 'configure'; set: Record<string, string>; remove: string[] }
  | { type: 'roll'; nodes: string[]; reason: string }
  | { type: 'upgrade'; to: string }
  | { type: 'scale-down'; nodes: string[] };

export function desiredMetadataVersion(spec: KafkaClusterSpec): string {
  return spec.metadataVersion.policy === 'Pinned' && spec.metadataVersion.version
    ? spec.metadataVersion.version
    : kafkaVersions[spec.kafkaVersion as KafkaVersion].metadataVersion;
}

/** Orders metadata.version strings such as 3.9-IV0 and 4.1-IV1. */
export function compareMetadataVersions(a: string, b: string): number {
  const parse = (v: string): number[] => v.split(/[.-]IV|\./).map(Number);
  const [pa, pb] = [parse(a), parse(b)];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

function dynamicConfigChanges(
  spec: KafkaClusterSpec,
  current: Readonly<Record<string, string>>,
): { set: Record<string, string>; remove: string[] } {
  const wanted = Object.fromEntries(
    Object.entries(spec.config)
      .filter(([key]) => isDynamicBrokerConfig(key))
      .map(([key, value]) => [key, String(value)]),
  );
  const set = Object.fromEntries(Object.entries(wanted).filter(([key, value]) => current[key] !== value));
  const remove = Object.keys(current).filter((key) => isDynamicBrokerConfig(key) && !(key in wanted));
  return { set, remove };
}

export function planOperations(
  spec: KafkaClusterSpec,
  desired: readonly DesiredNode[],
  observed: ObservedCluster,
): Operation[] {
  if (spec.paused) return [];
  const byName = new Map(observed.nodes.map((n) => [n.podName, n]));
  const existing = desired.filter((n) => {
    const seen = byName.get(n.podName);
    return seen !== undefined && (seen.podExists || seen.claimExists);
  });
  if (existing.length === 0 && observed.nodes.every((n) => !n.podExists && !n.claimExists)) {
    return [{ type: 'provision', nodes: desired.map((n) => n.podName) }];
  }

  const operations: Operation[] = [];
  const desiredNames = new Set(desired.map((n) => n.podName));
  const known = existing.map((n) => ({ node: n, seen: byName.get(n.podName) as ObservedNode }));
  const pods = known.filter(({ seen }) => !seen.podExists).map(({ node }) => node.podName);
  const claims = known.filter(({ seen }) => !seen.claimExists).map(({ node }) => node.podName);
  if (pods.length > 0 || claims.length > 0) operations.push({ type: 'repair', pods, claims });

  const size = (pool: string): number =>
    quantityBytes(spec.nodePools.find((p) => p.name === pool)?.storage.size ?? '0');
  const small = known
    .filter(
      ({ node, seen }) => seen.claim !== undefined && quantityBytes(seen.claim.requested) < size(node.pool),
    )
    .map(({ node }) => node.podName);
  if (small.length > 0) operations.push({ type: 'expand', nodes: small });

  const added = desired.filter((n) => !existing.includes(n)).map((n) => n.podName);
  if (added.length > 0) operations.push({ type: 'scale-up', nodes: added });

  if (observed.dynamicConfig !== undefined) {
    const config = dynamicConfigChanges(spec, observed.dynamicConfig);
    if (Object.keys(config.set).length > 0 || config.remove.length > 0)
      operations.push({ type: 'configure', ...config });
  }

  const outdated = known
    .filter(({ node, seen }) => seen.podExists && seen.configHash !== node.configHash)
    .map(({ node }) => node.podName);
  if (outdated.length > 0) {
    operations.push({ type: 'roll', nodes: outdated, reason: 'pods out of date with the spec' });
  }

  // Raised only once every node runs the new version, and never lowered:
  // Kafka cannot take metadata.version back down safely.
  const metadataVersion = desiredMetadataVersion(spec);
  if (
    outdated.length === 0 &&
    added.length === 0 &&
    observed.metadataVersion !== undefined &&
    compareMetadataVersions(metadataVersion, observed.metadataVersion) > 0
  ) {
    operations.push({ type: 'upgrade', to: metadataVersion });
  }

  // A claim left behind by a removed node is kept data, not a node to remove.
  const removed = observed.nodes
    .filter((n) => !desiredNames.has(n.podName) && n.podExists)
    .map((n) => n.podName);
  if (removed.length > 0) operations.push({ type: 'scale-down', nodes: removed });
  return operations;
}
