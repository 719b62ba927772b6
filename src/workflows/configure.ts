// Applying cluster-wide dynamic broker configs, as a child of the cluster
// workflow: no broker restarts. The shared ConfigMap is updated first so a
// node started later reads the same values from its server.properties.
import { proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { longWait, quickCall } from './activity-options.ts';
import type { KafkaClusterSpec } from '../crd/kafka-cluster.ts';
import type { ClusterRef } from '../domain/labels.ts';
import { buildClusterManifests } from '../domain/manifests/index.ts';
import type { KafkaNode } from '../domain/nodes.ts';
import { readyBrokerAddresses } from '../domain/observed.ts';
import { kafkaAccess, operatorPort } from '../domain/tls.ts';
import { failure } from '../domain/failures.ts';

const quick = proxyActivities<Activities>(quickCall);
const waits = proxyActivities<Activities>(longWait);

export interface ConfigureInput {
  cluster: ClusterRef;
  spec: KafkaClusterSpec;
  nodes: KafkaNode[];
  set: Record<string, string>;
  remove: string[];
}

export async function configureWorkflow({
  cluster,
  spec,
  nodes,
  set,
  remove,
}: ConfigureInput): Promise<{ applied: Record<string, string> }> {
  const summary = [
    ...Object.entries(set).map(([k, v]) => `${k}=${v}`),
    ...remove.map((k) => `${k} removed`),
  ].join(', ');
  const step = (text: string): void =>
    setCurrentDetails(`**Configure** ${cluster.namespace}/${cluster.name} (${summary}): ${text}`);

  step('updating the shared config');
  await quick.applyObjects([buildClusterManifests(cluster, spec, nodes).configMap]);
  const observed = await quick.observeNodes({
    namespace: cluster.namespace,
    cluster: cluster.name,
    uid: cluster.uid,
  });
  const bootstrap = kafkaAccess(cluster, spec, readyBrokerAddresses(observed, operatorPort(spec)));
  if (bootstrap.addresses.length === 0) {
    throw failure('NoBrokerReady', 'no broker is ready to take the dynamic config');
  }
  step('applying through the Admin API (no restart)');
  const applied = await waits.applyClusterDynamicConfig({ bootstrap, set, remove });
  await quick.recordEvent({
    cluster,
    key: `${workflowInfo().workflowId}/applied`,
    type: 'Normal',
    reason: 'DynamicConfigApplied',
    action: 'Configure',
    note: `applied without restart: ${summary}`,
  });
  step('done');
  return { applied };
}
