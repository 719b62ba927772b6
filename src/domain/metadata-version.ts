// Whether raising the cluster's metadata.version is safe: Kafka cannot take
// it back down, so every node that may serve the cluster must support the
// target first, and no stale registration (a node that left without being
// unregistered) may be counted on.
import {
  metadataVersionLevels,
  metadataVersionOfLevel,
  type MetadataVersion,
} from '../crd/kafka-versions.ts';

export interface NodeFeatureSupport {
  nodeId: number;
  /** The highest metadata.version level the node's Kafka supports (ApiVersions supported features). */
  maxLevel: number;
}

export type MetadataVersionStep =
  | { kind: 'done'; finalized: string }
  | { kind: 'raise'; from: string; level: number }
  | { kind: 'refused'; message: string };

export function planMetadataVersionRaise(input: {
  target: string;
  finalizedLevel: number;
  /** Nodes of the spec, with what each reported. */
  nodes: readonly NodeFeatureSupport[];
  /** Broker ids registered in the KRaft metadata. */
  registeredBrokerIds: readonly number[];
}): MetadataVersionStep {
  const level = metadataVersionLevels[input.target as MetadataVersion] as number | undefined;
  const from = metadataVersionOfLevel(input.finalizedLevel);
  if (level === undefined) {
    return { kind: 'refused', message: `metadata.version ${input.target} is not one Keelson knows` };
  }
  if (input.finalizedLevel >= level) return { kind: 'done', finalized: from };
  const known = new Set(input.nodes.map((n) => n.nodeId));
  const stale = input.registeredBrokerIds.filter((id) => !known.has(id));
  if (stale.length > 0) {
    return {
      kind: 'refused',
      message: `broker${stale.length > 1 ? 's' : ''} ${stale.join(', ')} ${stale.length > 1 ? 'are' : 'is'} registered but not part of the cluster; unregister before raising metadata.version to ${input.target}`,
    };
  }
  const behind = input.nodes.filter((n) => n.maxLevel < level);
  if (behind.length > 0) {
    const list = behind
      .map((n) => `node ${n.nodeId} (up to ${metadataVersionOfLevel(n.maxLevel)})`)
      .join(', ');
    return {
      kind: 'refused',
      message: `metadata.version ${input.target} is not supported by ${list}; every node must run a Kafka version that has it`,
    };
  }
  return { kind: 'raise', from, level };
}
