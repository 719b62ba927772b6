// Repairing drift, as a child of the cluster workflow: a node's pod or volume
// claim that has gone missing (deleted by hand, evicted, lost with its
// Kubernetes node) is created again from the current spec, then the workflow
// waits until the node is Ready and its broker registered. A new empty
// volume is filled again by Kafka's replication from the other replicas.
import { proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import { kafkaAccess, operatorPort } from '../domain/tls.ts';
import type { Activities } from '../activities/index.ts';
import { longWait, quickCall } from './activity-options.ts';
import type { KafkaClusterSpec } from '../crd/kafka-cluster.ts';
import type { ClusterRef } from '../domain/labels.ts';
import { buildClusterManifests } from '../domain/manifests/index.ts';
import { names } from '../domain/names.ts';
import type { KafkaNode } from '../domain/nodes.ts';

const quick = proxyActivities<Activities>(quickCall);
const waits = proxyActivities<Activities>(longWait);

export interface RepairInput {
  cluster: ClusterRef;
  spec: KafkaClusterSpec;
  nodes: KafkaNode[];
  /** Nodes whose pod is missing. */
  pods: string[];
  /** Nodes whose volume claim is missing. */
  claims: string[];
}

export async function repairWorkflow({ cluster, spec, nodes, pods, claims }: RepairInput): Promise<void> {
  const manifests = buildClusterManifests(cluster, spec, nodes);
  const affected = [...new Set([...pods, ...claims])];
  const step = (text: string): void =>
    setCurrentDetails(`**Repair** ${cluster.namespace}/${cluster.name} (${affected.join(', ')}): ${text}`);
  const claimOf = (pod: string) => manifests.claims.filter((c) => c.metadata?.name === names.dataClaim(pod));

  step('config and services');
  await quick.applyObjects(manifests.shared);
  for (const pod of affected) {
    const missingClaim = claims.includes(pod);
    if (missingClaim) {
      step(`creating the volume claim of ${pod}`);
      await quick.applyObjects(claimOf(pod));
    }
    if (pods.includes(pod)) {
      step(`creating pod ${pod}`);
      await quick.applyObjects(manifests.pods.filter((p) => p.metadata?.name === pod));
    }
    await quick.recordEvent({
      cluster,
      key: `${workflowInfo().workflowId}/${pod}`,
      type: 'Warning',
      reason: 'NodeRepaired',
      action: 'Repair',
      pod,
      note: `${pod} was missing its ${[pods.includes(pod) ? 'pod' : '', missingClaim ? 'volume claim' : ''].filter(Boolean).join(' and ')}; created again${missingClaim ? ' (new empty volume: Kafka re-replicates its partitions)' : ''}`,
    });
  }
  step(`waiting for ${affected.length} node(s) to be Ready`);
  const addresses = await waits.waitForPodsReady({
    namespace: cluster.namespace,
    cluster: cluster.name,
    pods: nodes.map((n) => n.podName),
  });
  const brokers = nodes.filter((n) => n.roles.includes('broker'));
  const port = operatorPort(spec);
  step('waiting for the brokers to register');
  await waits.waitForBrokersRegistered({
    bootstrap: kafkaAccess(
      cluster,
      spec,
      brokers.map((n) => `${addresses[n.podName]}:${port}`),
    ),
    brokerIds: brokers.map((n) => n.nodeId),
  });
  step('done');
}
