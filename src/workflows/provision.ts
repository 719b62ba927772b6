// Provisioning a new cluster, as a child of the cluster workflow. Reads top to
// bottom as its steps: shared objects, volumes, pods, then waits for every
// pod to be Ready, every broker to register with the cluster and every
// controller to be a caught-up voter of the KRaft quorum.
import { proxyActivities, setCurrentDetails, sleep } from '@temporalio/workflow';
import { kafkaAccess, operatorPort, type KafkaAccess } from '../domain/tls.ts';
import type { Activities } from '../activities/index.ts';
import { longWait, quickCall } from './activity-options.ts';
import type { KafkaClusterSpec } from '../crd/kafka-cluster.ts';
import type { ClusterRef } from '../domain/labels.ts';
import { buildClusterManifests } from '../domain/manifests/index.ts';
import type { KafkaNode } from '../domain/nodes.ts';

const quick = proxyActivities<Activities>(quickCall);
const waits = proxyActivities<Activities>(longWait);

export interface ProvisionInput {
  cluster: ClusterRef;
  spec: KafkaClusterSpec;
  nodes: KafkaNode[];
}

export async function provisionWorkflow({
  cluster,
  spec,
  nodes,
}: ProvisionInput): Promise<{ bootstrap: KafkaAccess }> {
  const manifests = buildClusterManifests(cluster, spec, nodes);
  const step = (text: string): void =>
    setCurrentDetails(`**Provision** ${cluster.namespace}/${cluster.name}: ${text}`);

  step('config and services');
  await quick.applyObjects(manifests.shared);
  step(`${manifests.claims.length} volumes`);
  await quick.applyObjects(manifests.claims);
  step(`${manifests.pods.length} node pods`);
  await quick.applyObjects(manifests.pods);

  step(`waiting for ${nodes.length} pods to be Ready`);
  const addresses = await waits.waitForPodsReady({
    namespace: cluster.namespace,
    cluster: cluster.name,
    pods: nodes.map((n) => n.podName),
  });
  const brokers = nodes.filter((n) => n.roles.includes('broker'));
  const port = operatorPort(spec);
  const bootstrap = kafkaAccess(
    cluster,
    spec,
    brokers.map((n) => `${addresses[n.podName]}:${port}`),
  );
  step(`waiting for ${brokers.length} brokers to register`);
  await waits.waitForBrokersRegistered({ bootstrap, brokerIds: brokers.map((n) => n.nodeId) });
  const controllers = nodes.filter((n) => n.roles.includes('controller')).map((n) => n.nodeId);
  for (;;) {
    const { quorum } = await quick.observeKafka({ bootstrap });
    const caughtUp = quorum.voters.filter((v) => v.caughtUp).map((v) => v.nodeId);
    if (quorum.leaderId >= 0 && controllers.every((id) => caughtUp.includes(id))) break;
    step(`waiting for the controller quorum: ${caughtUp.length} of ${controllers.length} voters caught up`);
    await sleep('2 seconds', { summary: 'controller quorum not caught up yet: look again' });
  }
  step('done');
  return { bootstrap };
}
