// A rolling restart, as a child of the cluster workflow. First it waits for a
// maintenance window (unless the roll is urgent) and for a permit of the
// operator-wide roll limit. Then each pass observes the cluster (pods from
// Kubernetes, ISR and quorum from Kafka), asks chooseNextRestart what is safe
// now, and either restarts the chosen node(s), waits on a durable timer, or
// stops with the blocking reason. Once the cluster has caught up after a
// restart, leadership goes back to the preferred replicas. What was restarted
// lives in workflow state, so a worker killed mid-roll resumes here and never
// restarts a node twice. A newer spec stops the roll between two restarts
// (a safe point) so the cluster workflow plans again from the new spec.
import {
  condition,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import { kafkaAccess, operatorPort, operatorTls } from '../domain/tls.ts';
import type { Activities } from '../activities/index.ts';
import type { ClusterEvent } from '../activities/kubernetes/events.ts';
import { longWait, quickCall, safetyWait } from './activity-options.ts';
import { parseDurationMs } from '../crd/duration.ts';
import type { KafkaClusterSpec } from '../crd/kafka-cluster.ts';
import { annotationKeys, type ClusterRef } from '../domain/labels.ts';
import { maintenanceWindowAt } from '../domain/maintenance-windows.ts';
import { buildClusterManifests } from '../domain/manifests/index.ts';
import type { KafkaNode } from '../domain/nodes.ts';
import {
  brokerClientAddresses,
  markStartingBrokers,
  readyBrokerAddresses,
  type ObservedNode,
} from '../domain/observed.ts';
import { chooseNextRestart, describePartitions } from '../domain/roll-order.ts';
import { supersededSignal } from './messages.ts';
import { rollPermit } from './roll-permit.ts';
import { cancelledWhen } from './cancelled-when.ts';
import { failure } from '../domain/failures.ts';

const quick = proxyActivities<Activities>(quickCall);
const waits = proxyActivities<Activities>(longWait);
const safety = proxyActivities<Activities>(safetyWait);

/** Rolls recorded before the roll waited inside awaitRollDecision replay with their polling loop. */
export const rollWaitsInActivityPatch = 'roll-waits-in-activity';

export interface RollInput {
  cluster: ClusterRef;
  spec: KafkaClusterSpec;
  nodes: KafkaNode[];
  /** Pods to restart. */
  pods: string[];
  reason: string;
  /** Set for a forced roll: stamped on each new pod so a node restarts although its config is current. */
  restartToken?: string;
  /** Urgent rolls (asked for by hand) start outside maintenance windows. */
  urgent?: boolean;
}

export interface RollResult {
  restarted: string[];
  /** Stopped early at a safe point because a newer spec arrived. */
  superseded: boolean;
}

export async function rollWorkflow({
  cluster,
  spec,
  nodes,
  pods,
  reason,
  restartToken,
  urgent = false,
}: RollInput): Promise<RollResult> {
  const manifests = buildClusterManifests(cluster, spec, nodes);
  const desiredPod = new Map(
    manifests.pods.map((p) => {
      if (restartToken && p.metadata) {
        p.metadata.annotations = { ...p.metadata.annotations, [annotationKeys.restartToken]: restartToken };
      }
      return [p.metadata?.name ?? '', p];
    }),
  );
  const { workflowId } = workflowInfo();
  const key = { namespace: cluster.namespace, name: cluster.name };
  const details = (text: string): void =>
    setCurrentDetails(`**Roll** ${cluster.namespace}/${cluster.name} (${reason}): ${text}`);
  // Written when it changes, not on every pass of a wait.
  let lastProgress = '';
  const progress = async (
    step: string,
    extra: { node?: string | null; blockedReason?: string | null } = {},
  ): Promise<void> => {
    const next = { step, blockedReason: null, ...extra };
    if (JSON.stringify(next) === lastProgress) return;
    lastProgress = JSON.stringify(next);
    await quick.patchStatus({ ...key, status: {}, progress: next });
  };

  let superseded = false;
  setHandler(supersededSignal, () => void (superseded = true));
  const permit = rollPermit();

  // Non-urgent rolls start inside a maintenance window (checked again after each wait).
  for (;;) {
    const window = urgent
      ? { open: true as const }
      : maintenanceWindowAt(spec.rollout.maintenanceWindows, Date.now());
    if (window.open || superseded) break;
    const opens = new Date(window.opensAt).toISOString();
    details(`waiting for the maintenance window opening at ${opens}`);
    await progress('waiting for a maintenance window', {
      blockedReason: `next maintenance window opens at ${opens}`,
    });
    await condition(() => superseded, window.opensAt - Date.now(), {
      summary: `wait for the maintenance window opening at ${opens}`,
    });
  }
  if (superseded) return { restarted: [], superseded };

  const granted = await permit.acquire(
    (limit) => {
      details(`waiting for a roll permit (at most ${limit} cluster(s) roll at once)`);
      return progress('waiting for a roll permit', {
        blockedReason: `at most ${limit} cluster(s) of this operator roll at once; waiting for a turn`,
      });
    },
    () => superseded,
  );
  try {
    if (!granted || superseded) return { restarted: [], superseded };
    const restart = patched(rollWaitsInActivityPatch) ? restartNodesWhenSafe : restartNodes;
    return await restart({
      cluster,
      spec,
      pods,
      reason,
      configMap: manifests.configMap,
      desiredPod,
      workflowId,
      details,
      progress,
      superseded: () => superseded,
    });
  } finally {
    await permit.release();
  }
}

/** What restartNodes works with: the roll's input, its manifests, and how it reports. */
interface RollContext {
  cluster: ClusterRef;
  spec: KafkaClusterSpec;
  pods: string[];
  reason: string;
  configMap: ReturnType<typeof buildClusterManifests>['configMap'];
  desiredPod: Map<string, ReturnType<typeof buildClusterManifests>['pods'][number]>;
  workflowId: string;
  details: (text: string) => void;
  progress: (step: string, extra?: { node?: string | null; blockedReason?: string | null }) => Promise<void>;
  /** A newer generation asked the roll to stop at its next safe point. */
  superseded: () => boolean;
}

/**
 * Restarts the roll's nodes in the order chooseNextRestart decides, each only
 * when the cluster can take it, until all are done, one is blocked, or a
 * newer spec stops the roll at a safe point. The waiting between restarts
 * happens inside awaitRollDecision (heartbeated), so the history records one
 * decision and one restart per node, whatever the waits took.
 */
async function restartNodesWhenSafe(roll: RollContext): Promise<RollResult> {
  const { cluster, spec, details } = roll;
  // Restarted pods read the shared config at start: it must be current first.
  details('updating the shared config');
  await quick.applyObjects.executeWithOptions({ ...quickCall, summary: 'update the shared config' }, [
    [roll.configMap],
  ]);

  const pending = new Set(roll.pods);
  const restarted: string[] = [];
  let lastRestartAt: number | undefined;
  let restoreLeadership = false;
  // Events of the restarts made since the last decision: the next decision records them first.
  let toRecord: ClusterEvent[] = [];
  const decide = (safePointOnly: boolean) =>
    safety.awaitRollDecision.executeWithOptions(
      {
        ...safetyWait,
        summary: safePointOnly
          ? 'wait for a safe point to stop at'
          : `wait until a restart is safe (${restarted.length} of ${roll.pods.length} restarted)`,
      },
      [
        {
          cluster,
          port: operatorPort(spec),
          tls: operatorTls(cluster, spec),
          pending: [...pending],
          restarted,
          zoneBatched: spec.rollout.zoneBatched,
          delayBetweenRestartsMs: parseDurationMs(spec.rollout.delayBetweenRestarts),
          ...(lastRestartAt !== undefined ? { sinceLastRestartMs: Date.now() - lastRestartAt } : {}),
          passUnprotectable: true,
          restoreLeadership,
          safePointOnly,
          events: toRecord,
        },
      ],
    );
  for (;;) {
    details(`waiting until a restart is safe (${restarted.length} of ${roll.pods.length} restarted)`);
    const decided = await cancelledWhen(roll.superseded, () => decide(false));
    // Stopped for a newer spec while waiting: wait for the cluster to catch up, then stop there.
    const { step, notElected } = decided ?? (await decide(true));
    toRecord = [];
    if (notElected !== undefined) restoreLeadership = false;
    if (notElected && notElected.length > 0) {
      details(`${notElected.length} partition(s) kept their leader: ${notElected[0]?.reason}`);
    }
    if (step.kind === 'safe-point' || roll.superseded()) {
      details(`stopped for a newer spec after restarting ${restarted.join(', ') || 'nothing'}`);
      return { restarted, superseded: true };
    }
    switch (step.kind) {
      case 'done':
        details(`done: restarted ${restarted.join(', ')}`);
        return { restarted, superseded: false };
      case 'blocked':
        throw await blocked(roll, step.message);
      case 'restart':
        for (const name of await restartBatch(roll, step, toRecord)) {
          pending.delete(name);
          restarted.push(name);
        }
        lastRestartAt = Date.now();
        restoreLeadership = true;
        break;
    }
  }
}

/** Says in an Event why the roll stopped itself to stay safe; returns the failure it ends with. */
async function blocked(roll: RollContext, message: string): Promise<Error> {
  await quick.recordEvent({
    cluster: roll.cluster,
    key: `${roll.workflowId}/blocked`,
    type: 'Warning',
    reason: 'RollBlocked',
    action: 'Roll',
    note: message,
  });
  return failure('RollBlocked', message);
}

/**
 * The roll as recorded before awaitRollDecision: the same decisions, with the
 * waiting done in the workflow (a timer and two observations per poll).
 */
async function restartNodes(roll: RollContext): Promise<RollResult> {
  const { cluster, spec, details, progress } = roll;
  // Restarted pods read the shared config at start: it must be current first.
  details('updating the shared config');
  await progress('updating the shared config');
  await quick.applyObjects([roll.configMap]);

  // Rolls recorded before partitions with RF ≤ min.insync.replicas stopped holding them up replay as they ran.
  const passUnprotectable = patched('roll-passes-unprotectable-partitions');
  const pending = new Set(roll.pods);
  const restarted: string[] = [];
  let lastRestartAt: number | undefined;
  let leadersToRestore = false;
  for (;;) {
    const observed = await quick.observeNodes({
      namespace: cluster.namespace,
      cluster: cluster.name,
      uid: cluster.uid,
    });
    const byName = new Map(observed.map((n) => [n.podName, n]));
    const bootstrap = kafkaAccess(cluster, spec, readyBrokerAddresses(observed, operatorPort(spec)));
    if (bootstrap.addresses.length === 0) {
      details('no broker is ready; waiting');
      await sleep('5 seconds');
      continue;
    }
    // Rolls recorded before brokers starting up were looked for replay as they ran.
    const lookForStarting = patched('roll-waits-for-starting-brokers');
    const port = operatorPort(spec);
    const kafka = await quick.observeKafka({
      bootstrap,
      ...(lookForStarting ? { probe: brokerClientAddresses(observed, port) } : {}),
    });
    if (lookForStarting) {
      for (const node of markStartingBrokers(observed, kafka.serving ?? [], kafka.quorum)) {
        byName.set(node.podName, node);
      }
    }
    const pick = (names: Iterable<string>): ObservedNode[] =>
      [...names].map((n) => byName.get(n)).filter((n): n is ObservedNode => n !== undefined);
    const decision = chooseNextRestart({
      pending: pick(pending),
      restarted: pick(restarted),
      nodes: [...byName.values()],
      quorum: kafka.quorum,
      partitions: kafka.partitions,
      zoneBatched: spec.rollout.zoneBatched,
      delayBetweenRestartsMs: parseDurationMs(spec.rollout.delayBetweenRestarts),
      lastRestartAt,
      now: Date.now(),
      passUnprotectable,
    });
    // The cluster has caught up with the last restart: give leadership back.
    if (leadersToRestore && (decision.kind === 'restart' || decision.kind === 'done')) {
      details('preferred leader election');
      const election = await waits.electPreferredLeaders.executeWithOptions(
        { ...longWait, summary: `preferred leader election after restarting ${restarted.at(-1) ?? ''}` },
        [{ bootstrap }],
      );
      leadersToRestore = false;
      if (election.notElected.length > 0) {
        details(
          `${election.notElected.length} partition(s) kept their leader: ${election.notElected[0]?.reason}`,
        );
      }
    }
    // A safe point: nothing is restarting and the cluster has caught up.
    if (roll.superseded() && decision.kind !== 'wait') {
      details(`stopped for a newer spec after restarting ${restarted.join(', ') || 'nothing'}`);
      return { restarted, superseded: true };
    }
    switch (decision.kind) {
      case 'done':
        details(`done: restarted ${restarted.join(', ')}`);
        return { restarted, superseded: roll.superseded() };
      case 'blocked':
        throw await blocked(roll, decision.message);
      case 'wait':
        details(decision.reason);
        await progress('waiting before the next restart', { blockedReason: decision.reason });
        await sleep(decision.retryAfterMs);
        break;
      case 'restart':
        for (const name of await restartBatch(roll, decision)) {
          pending.delete(name);
          restarted.push(name);
        }
        lastRestartAt = Date.now();
        leadersToRestore = true;
        break;
    }
  }
}

/**
 * Restarts the nodes of one decision (one node, or a zone's brokers at once),
 * in order; returns their pod names. With `recording`, each restart's Event
 * is added to it for the next decision to record (no activity and workflow
 * task of its own), and awaitRollDecision has written the progress.
 */
async function restartBatch(
  roll: RollContext,
  decision: Extract<ReturnType<typeof chooseNextRestart>, { kind: 'restart' }>,
  recording?: ClusterEvent[],
): Promise<string[]> {
  const { cluster, workflowId, details, progress } = roll;
  if (decision.unprotectable.length > 0) {
    await quick.recordEvent({
      cluster,
      key: `${workflowId}/unprotectable/${decision.nodes.map((n) => n.podName).join(',')}`,
      type: 'Warning',
      reason: 'PartitionsUnavailableDuringRestart',
      action: 'Roll',
      note: `restarting ${decision.nodes.map((n) => n.podName).join(', ')} leaves ${describePartitions(decision.unprotectable)} unavailable until it is back: a replication factor not above min.insync.replicas cannot stay available through any restart; raise the replication factor to avoid this`,
    });
  }
  const done: string[] = [];
  for (const node of decision.nodes) {
    const pod = roll.desiredPod.get(node.podName);
    if (!pod) throw failure('InternalError', `no manifest for ${node.podName}`);
    details(`restarting ${node.podName} (node ${node.nodeId}, zone ${node.zone}): ${decision.reason}`);
    // With `recording`, awaitRollDecision wrote this progress as it decided the restart.
    if (!recording) await progress(`restarting node ${node.nodeId}`, { node: node.podName });
    await waits.restartNode.executeWithOptions(
      { ...longWait, summary: `restart ${node.podName} (node ${node.nodeId}, zone ${node.zone})` },
      [{ pod }],
    );
    const event: ClusterEvent = {
      cluster,
      key: `${workflowId}/${node.podName}`,
      type: 'Normal',
      reason: 'NodeRestarted',
      action: 'Roll',
      pod: node.podName,
      note: `restarted node ${node.nodeId} (zone ${node.zone}) for ${roll.reason}: ${decision.reason}`,
    };
    if (recording) recording.push(event);
    else await quick.recordEvent(event);
    done.push(node.podName);
  }
  return done;
}
