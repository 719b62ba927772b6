// Scaling brokers, as children of the cluster workflow.
//
// Scale-up: create the new nodes, wait until they are Ready and registered,
// then move replicas onto them (throttled) until every broker holds about
// the same number.
//
// Scale-down: guard → drain → verify empty → remove → unregister. The guard
// refuses, before anything is touched, when the remaining brokers could not
// hold every partition's replication factor or zone spread, or when a
// leaving node is a controller (the KRaft voter set is static here). The
// drain moves every replica off the leaving brokers; only when Kafka shows
// none left on them are their pods (and, with deleteClaim, claims) deleted,
// and then their registrations removed. Each step's result is in the
// workflow history, so a worker killed at any step resumes at that step.
import type { ApplicationFailure } from '@temporalio/workflow';
import { proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import { kafkaAccess, operatorPort } from '../domain/tls.ts';
import type { Activities } from '../activities/index.ts';
import { longWait, quickCall } from './activity-options.ts';
import type { KafkaClusterSpec } from '../crd/kafka-cluster.ts';
import type { ClusterRef } from '../domain/labels.ts';
import { buildClusterManifests } from '../domain/manifests/index.ts';
import type { KafkaNode } from '../domain/nodes.ts';
import { readyBrokerAddresses, type ObservedNode } from '../domain/observed.ts';
import { planDrain, planSpread, replicasHeldBy, type Broker } from '../domain/reassignment.ts';
import { moveReplicas } from './move-replicas.ts';
import { failure } from '../domain/failures.ts';

const quick = proxyActivities<Activities>(quickCall);
const waits = proxyActivities<Activities>(longWait);

export interface ScaleUpInput {
  cluster: ClusterRef;
  spec: KafkaClusterSpec;
  nodes: KafkaNode[];
  /** Pods of the nodes to add. */
  added: string[];
}

export interface ScaleDownInput {
  cluster: ClusterRef;
  spec: KafkaClusterSpec;
  /** The nodes that stay (the desired nodes). */
  nodes: KafkaNode[];
  /** The nodes that leave, as observed. */
  leaving: ObservedNode[];
}

const refuse = (message: string): ApplicationFailure => failure('ScaleRefused', message);

function progressReporter(cluster: ClusterRef, what: string, details: (text: string) => void) {
  let last = '';
  return async (done: number, total: number): Promise<void> => {
    const step = `${what}: ${done} of ${total} partitions moved`;
    details(step);
    if (step === last) return;
    last = step;
    await quick.patchStatus({
      namespace: cluster.namespace,
      name: cluster.name,
      status: {},
      progress: { step },
    });
  };
}

export async function scaleUpWorkflow({
  cluster,
  spec,
  nodes,
  added,
}: ScaleUpInput): Promise<{ moved: number }> {
  const details = (text: string): void =>
    setCurrentDetails(`**Scale up** ${cluster.namespace}/${cluster.name} (+${added.join(', ')}): ${text}`);
  const newNodes = nodes.filter((n) => added.includes(n.podName));
  if (newNodes.some((n) => n.roles.includes('controller'))) {
    throw refuse(
      `adding controller nodes (${newNodes.map((n) => n.podName).join(', ')}) would change the KRaft voter set, which Keelson does not do yet; add a broker-only pool instead`,
    );
  }
  const manifests = buildClusterManifests(cluster, spec, nodes);
  details('config, services and volumes');
  await quick.applyObjects(manifests.shared);
  await quick.applyObjects(
    manifests.claims.filter((c) => added.some((pod) => c.metadata?.name === `data-${pod}`)),
  );
  details(`creating ${added.length} node(s)`);
  await quick.applyObjects(manifests.pods.filter((p) => added.includes(p.metadata?.name ?? '')));
  details('waiting for the new nodes to be Ready');
  const addresses = await waits.waitForPodsReady({
    namespace: cluster.namespace,
    cluster: cluster.name,
    pods: added,
  });
  const port = operatorPort(spec);
  const observed = await quick.observeNodes({
    namespace: cluster.namespace,
    cluster: cluster.name,
    uid: cluster.uid,
  });
  const ready = readyBrokerAddresses(observed, port);
  const bootstrap = kafkaAccess(cluster, spec, ready);
  await waits.waitForBrokersRegistered({
    bootstrap: kafkaAccess(cluster, spec, [...ready, ...Object.values(addresses).map((a) => `${a}:${port}`)]),
    brokerIds: nodes.filter((n) => n.roles.includes('broker')).map((n) => n.nodeId),
  });

  const brokers: Broker[] = nodes
    .filter((n) => n.roles.includes('broker'))
    .map((n) => ({ id: n.nodeId, zone: n.zone }));
  const { partitions } = await quick.readAssignment({ bootstrap });
  const moves = planSpread(
    partitions,
    brokers,
    newNodes.map((n) => n.nodeId),
  );
  details(`moving ${moves.length} partition(s) onto the new brokers`);
  await moveReplicas({
    bootstrap,
    moves,
    bytesPerSecond: spec.rebalance.throttleBytesPerSecond,
    progress: {
      namespace: cluster.namespace,
      name: cluster.name,
      what: 'spreading replicas onto new brokers',
    },
    report: progressReporter(cluster, 'spreading replicas onto new brokers', details),
  });
  await quick.recordEvent({
    cluster,
    key: `${workflowInfo().workflowId}/done`,
    type: 'Normal',
    reason: 'ScaledUp',
    action: 'Scale',
    note: `added ${added.join(', ')}; moved replicas of ${moves.length} partition(s) onto them`,
  });
  details(`done: moved ${moves.length} partition(s)`);
  return { moved: moves.length };
}

export async function scaleDownWorkflow({
  cluster,
  spec,
  nodes,
  leaving,
}: ScaleDownInput): Promise<{ moved: number }> {
  const names = leaving.map((n) => n.podName);
  const details = (text: string): void =>
    setCurrentDetails(`**Scale down** ${cluster.namespace}/${cluster.name} (−${names.join(', ')}): ${text}`);
  const controllers = leaving.filter((n) => n.roles.includes('controller'));
  if (controllers.length > 0) {
    throw refuse(
      `${controllers.map((n) => n.podName).join(', ')} ${controllers.length > 1 ? 'are controllers' : 'is a controller'}: removing controllers would change the KRaft voter set, which Keelson does not do yet`,
    );
  }
  const port = operatorPort(spec);
  const observed = await quick.observeNodes({
    namespace: cluster.namespace,
    cluster: cluster.name,
    uid: cluster.uid,
  });
  const ready = readyBrokerAddresses(observed, port);
  const bootstrap = kafkaAccess(cluster, spec, ready);
  if (ready.length === 0) throw refuse('no broker is ready');

  // Guard: refused here, nothing has been touched.
  details('checking that the remaining brokers can hold every partition');
  const brokers: Broker[] = [
    ...nodes.filter((n) => n.roles.includes('broker')).map((n) => ({ id: n.nodeId, zone: n.zone })),
    ...leaving.filter((n) => n.roles.includes('broker')).map((n) => ({ id: n.nodeId, zone: n.zone })),
  ];
  const leavingIds = leaving.map((n) => n.nodeId);
  const { partitions } = await quick.readAssignment({ bootstrap });
  const plan = planDrain(partitions, brokers, leavingIds);
  if (plan.kind === 'refused') throw refuse(`scale-down refused, nothing changed: ${plan.message}`);

  // Drain.
  const staying = ready.filter((a) => !leaving.some((n) => a.startsWith(`${n.address}:`)));
  const drainBootstrap = staying.length > 0 ? kafkaAccess(cluster, spec, staying) : bootstrap;
  await moveReplicas({
    bootstrap: drainBootstrap,
    moves: plan.moves,
    bytesPerSecond: spec.rebalance.throttleBytesPerSecond,
    progress: { namespace: cluster.namespace, name: cluster.name, what: `draining ${names.join(', ')}` },
    report: progressReporter(cluster, `draining ${names.join(', ')}`, details),
  });

  // Verify empty: a partial or failed drain is never treated as done.
  const after = await quick.readAssignment({ bootstrap });
  const held = replicasHeldBy(after.partitions, leavingIds);
  if (held.size > 0) {
    throw failure(
      'DrainIncomplete',
      `brokers still hold replicas after the drain (${[...held].map(([id, n]) => `${id}: ${n}`).join(', ')}); nothing was removed`,
    );
  }

  // Remove, then unregister.
  details(`removing ${names.join(', ')}`);
  const pools = new Map(spec.nodePools.map((p) => [p.name, p]));
  await waits.removeNodes({
    namespace: cluster.namespace,
    pods: names,
    // A pool removed from the spec keeps its claims: deleteClaim is unknown for it.
    deleteClaims: leaving
      .filter((n) => pools.get(n.pool)?.storage.deleteClaim === true)
      .map((n) => n.podName),
  });
  await quick.unregisterBrokers({
    bootstrap: drainBootstrap,
    ids: leavingIds,
  });
  await quick.recordEvent({
    cluster,
    key: `${workflowInfo().workflowId}/done`,
    type: 'Normal',
    reason: 'ScaledDown',
    action: 'Scale',
    note: `drained and removed ${names.join(', ')} (moved ${plan.moves.length} partition(s)); unregistered node(s) ${leavingIds.join(', ')}`,
  });
  details('done');
  return { moved: plan.moves.length };
}
