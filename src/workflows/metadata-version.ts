// Raising metadata.version after an upgrade, as a child of the cluster
// workflow. The activity checks that every node supports the target and no
// stale broker is registered; a refusal stops here with its reason, since
// Kafka cannot lower metadata.version again.
import { proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import { controllerPort, kafkaAccess, operatorPort } from '../domain/tls.ts';
import type { Activities } from '../activities/index.ts';
import { quickCall } from './activity-options.ts';
import type { KafkaClusterSpec } from '../crd/kafka-cluster.ts';
import type { ClusterRef } from '../domain/labels.ts';
import { nodeProtocolAddresses, readyBrokerAddresses } from '../domain/observed.ts';
import { failure } from '../domain/failures.ts';

const quick = proxyActivities<Activities>(quickCall);

export interface MetadataVersionInput {
  cluster: ClusterRef;
  spec: KafkaClusterSpec;
  to: string;
}

export async function metadataVersionWorkflow({
  cluster,
  spec,
  to,
}: MetadataVersionInput): Promise<{ from: string; to: string }> {
  const step = (text: string): void =>
    setCurrentDetails(`**metadata.version** ${cluster.namespace}/${cluster.name} → ${to}: ${text}`);
  const port = operatorPort(spec);
  const observed = await quick.observeNodes({
    namespace: cluster.namespace,
    cluster: cluster.name,
    uid: cluster.uid,
  });
  const bootstrap = kafkaAccess(cluster, spec, readyBrokerAddresses(observed, port));
  if (bootstrap.addresses.length === 0) {
    throw failure('NoBrokerReady', 'no broker is ready');
  }
  step(`checking that all ${observed.length} nodes support it`);
  const result = await quick.raiseMetadataVersion({
    nodes: nodeProtocolAddresses(observed, port, controllerPort(spec)),
    bootstrap,
    to,
  });
  if (result.from !== result.to) {
    await quick.recordEvent({
      cluster,
      key: `${workflowInfo().workflowId}/raised`,
      type: 'Normal',
      reason: 'MetadataVersionRaised',
      action: 'Upgrade',
      note: `metadata.version raised from ${result.from} to ${result.to}`,
    });
  }
  step(`done: ${result.from} → ${result.to}`);
  return result;
}
