// Everything a KafkaCluster owns, built from its spec as plain objects.
import type { KafkaClusterSpec } from '../../crd/kafka-cluster.ts';
import type { ClusterRef } from '../labels.ts';
import type { StagedSpec } from '../tls.ts';
import type { KafkaNode } from '../nodes.ts';
import { buildConfigMap, kafkaClusterIdOf } from './config.ts';
import { buildNodeClaim, buildNodePod } from './pod.ts';
import { buildNetworkPolicy } from './network-policy.ts';
import { buildBootstrapService, buildDisruptionBudgets, buildHeadlessService } from './services.ts';

export * from './config.ts';
export * from './pod.ts';
export * from './services.ts';
export * from './network-policy.ts';
export * from './external.ts';
export * from './jmx-exporter.ts';

/** All objects of a cluster, in the order they are best created. */
export function buildClusterManifests(
  cluster: ClusterRef,
  spec: KafkaClusterSpec & StagedSpec,
  nodes: readonly KafkaNode[],
) {
  const poolOf = (node: KafkaNode) => {
    const pool = spec.nodePools.find((p) => p.name === node.pool);
    if (pool === undefined) throw new Error(`unknown pool ${node.pool}`);
    return pool;
  };
  const configMap = buildConfigMap(cluster, spec, nodes);
  const headlessService = buildHeadlessService(cluster, spec);
  const bootstrapService = buildBootstrapService(cluster, spec);
  const disruptionBudgets = buildDisruptionBudgets(cluster);
  const networkPolicy = buildNetworkPolicy(cluster, spec);
  return {
    configMap,
    headlessService,
    bootstrapService,
    disruptionBudgets,
    /** What every node relies on, applied before any node's own objects. */
    shared: [
      configMap,
      headlessService,
      bootstrapService,
      ...disruptionBudgets,
      ...(networkPolicy ? [networkPolicy] : []),
    ],
    claims: nodes.map((node) => buildNodeClaim(cluster, poolOf(node), node, kafkaClusterIdOf(cluster, spec))),
    pods: nodes.map((node) => buildNodePod(cluster, spec, nodes, node)),
  };
}
