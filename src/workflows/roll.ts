// A rolling restart, as a child of the cluster workflow. Each pass observes
// the cluster (pods from Kubernetes, ISR and quorum from Kafka), asks
// chooseNextRestart what is safe now, and either restarts the chosen node(s),
// waits on a durable timer, or stops with the blocking reason. What was
// restarted lives in workflow state, so a worker killed mid-roll resumes here
// and never restarts a node twice.
import { ApplicationFailure, proxyActivities, setCurrentDetails, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { longWait, quickCall } from './activity-options.ts';
import { parseDurationMs } from '../crd/duration.ts';
import type { KafkaClusterSpec } from '../crd/kafka-cluster.ts';
import { annotationKeys, type ClusterRef } from '../domain/labels.ts';
import { buildClusterManifests } from '../domain/manifests/index.ts';
import type { KafkaNode } from '../domain/nodes.ts';
import type { ObservedNode } from '../domain/observed.ts';
import { chooseNextRestart } from '../domain/roll-order.ts';

const kube = proxyActivities<Activities>(quickCall);
const restarts = proxyActivities<Activities>(longWait);

export interface RollInput {
  cluster: ClusterRef;
  spec: KafkaClusterSpec;
  nodes: KafkaNode[];
  /** Pods to restart. */
  pods: string[];
  reason: string;
  /** Set for a forced roll: stamped on each new pod so a node restarts although its config is current. */
  restartToken?: string;
}

export async function rollWorkflow({
  cluster,
  spec,
  nodes,
  pods,
  reason,
  restartToken,
}: RollInput): Promise<{ restarted: string[] }> {
  const manifests = buildClusterManifests(cluster, spec, nodes);
  const desiredPod = new Map(
    manifests.pods.map((p) => {
      if (restartToken && p.metadata) {
        p.metadata.annotations = { ...p.metadata.annotations, [annotationKeys.restartToken]: restartToken };
      }
      return [p.metadata?.name ?? '', p];
    }),
  );
  const details = (text: string): void =>
    setCurrentDetails(`**Roll** ${cluster.namespace}/${cluster.name} (${reason}): ${text}`);

  // Restarted pods read the shared config at start: it must be current first.
  details('updating the shared config');
  await kube.applyObjects([manifests.configMap]);

  const pending = new Set(pods);
  const restarted: string[] = [];
  let lastRestartAt: number | undefined;
  for (;;) {
    const observed = await kube.observeNodes({ namespace: cluster.namespace, cluster: cluster.name });
    const byName = new Map(observed.map((n) => [n.podName, n]));
    const port = spec.listeners[0]?.port ?? 9092;
    const bootstrap = observed
      .filter((n) => n.ready && n.address && n.roles.includes('broker'))
      .map((n) => `${n.address}:${port}`);
    if (bootstrap.length === 0) {
      details('no broker is ready; waiting');
      await sleep('5 seconds');
      continue;
    }
    const kafka = await kube.observeKafka({ bootstrap });
    const pick = (names: Iterable<string>): ObservedNode[] =>
      [...names].map((n) => byName.get(n)).filter((n): n is ObservedNode => n !== undefined);
    const decision = chooseNextRestart({
      pending: pick(pending),
      restarted: pick(restarted),
      nodes: observed,
      quorum: kafka.quorum,
      partitions: kafka.partitions,
      zoneBatched: spec.rollout.zoneBatched,
      delayBetweenRestartsMs: parseDurationMs(spec.rollout.delayBetweenRestarts),
      lastRestartAt,
      now: Date.now(),
    });
    switch (decision.kind) {
      case 'done':
        details(`done: restarted ${restarted.join(', ')}`);
        return { restarted };
      case 'blocked':
        throw ApplicationFailure.create({
          nonRetryable: true,
          type: 'RollBlocked',
          message: decision.message,
        });
      case 'wait':
        details(decision.reason);
        await sleep(decision.retryAfterMs);
        break;
      case 'restart':
        for (const node of decision.nodes) {
          const pod = desiredPod.get(node.podName);
          if (!pod)
            throw ApplicationFailure.create({
              nonRetryable: true,
              message: `no manifest for ${node.podName}`,
            });
          details(`restarting ${node.podName} (node ${node.nodeId}, zone ${node.zone}): ${decision.reason}`);
          await restarts.restartNode({ pod });
          pending.delete(node.podName);
          restarted.push(node.podName);
        }
        lastRestartAt = Date.now();
        break;
    }
  }
}
