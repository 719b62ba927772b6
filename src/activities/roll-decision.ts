// The roll's waiting, in one heartbeated activity: observe the cluster
// (pods from Kubernetes, ISR, quorum and serving brokers from Kafka), ask
// chooseNextRestart, and while it says wait, say what is awaited (heartbeat
// details and status.currentOperation) and look again. It returns only when
// there is something for the workflow to do (restart, done, blocked), so a
// roll's history grows with the nodes it restarts, not with the time it
// waits. Cancelled by the workflow when a newer spec stops the roll; then
// asked once more for the next safe point only.
import { Context } from '@temporalio/activity';
import { whileHeartbeating } from './heartbeats.ts';
import type { ClusterRef } from '../domain/labels.ts';
import type { ClusterEvent } from './kubernetes/events.ts';
import type { clusterActivities } from './kubernetes/cluster.ts';
import type { eventActivities } from './kubernetes/events.ts';
import type { podActivities } from './kubernetes/pods.ts';
import type { clusterStateActivities } from './kafka/cluster-state.ts';
import type { leaderActivities } from './kafka/leaders.ts';
import {
  brokerClientAddresses,
  markStartingBrokers,
  readyBrokerAddresses,
  type ObservedNode,
} from '../domain/observed.ts';
import { chooseNextRestart, type RollDecision } from '../domain/roll-order.ts';
import type { KafkaAccess, KafkaTlsRef } from '../domain/tls.ts';

export interface RollDecisionInput {
  cluster: ClusterRef;
  /** The port Keelson reaches brokers on (operatorPort). */
  port: number;
  /** Keelson's client certificate for a secured cluster (absent in runs recorded before). */
  tls: KafkaTlsRef | null;
  /** Pod names still to restart, and those this roll restarted. */
  pending: string[];
  restarted: string[];
  zoneBatched: boolean;
  delayBetweenRestartsMs: number;
  /** How long ago (at the workflow's clock) the roll's last restart was made; none before the first. */
  sinceLastRestartMs?: number;
  passUnprotectable: boolean;
  /** A restart was made since leadership was last given back: elect the preferred leaders once caught up. */
  restoreLeadership: boolean;
  /** Stop at the next safe point (nothing restarting, the cluster caught up) without choosing a restart. */
  safePointOnly?: boolean;
  /** Events of the restarts made since the last decision, recorded first (idempotent by their keys). */
  events?: ClusterEvent[];
}

export type RollStep =
  | Exclude<RollDecision, { kind: 'wait' }>
  /** With safePointOnly: the cluster has caught up. */
  | { kind: 'safe-point' };

export interface RollDecisionResult {
  step: RollStep;
  /** Partitions whose preferred leader could not take leadership back, when an election was made. */
  notElected?: { topic: string; partition: number; reason: string }[];
}

/** What the activity uses: the existing observation, election, Event and status activities. */
export type RollDecisionDeps = Pick<ReturnType<typeof podActivities>, 'observeNodes'> &
  Pick<ReturnType<typeof clusterStateActivities>, 'observeKafka'> &
  Pick<ReturnType<typeof leaderActivities>, 'electPreferredLeaders'> &
  Pick<ReturnType<typeof eventActivities>, 'recordEvent'> &
  Pick<ReturnType<typeof clusterActivities>, 'patchStatus'> & {
    /** Waits between two looks (cancellable); tests pass a shorter one. @default the activity context's sleep */
    sleep?: (ms: number) => Promise<void>;
  };

/** Polls no faster than this, and no slower than the longest wait the roll order asks for. */
const noBrokerWaitMs = 5_000;

/** One look at the cluster: the roll order's decision, or that no broker is ready to ask Kafka through. */
async function decideOnce(
  deps: RollDecisionDeps,
  input: RollDecisionInput,
  lastRestartAt: number | undefined,
): Promise<{ decision: RollDecision; bootstrap: KafkaAccess } | { noBroker: true }> {
  const observed = await deps.observeNodes({
    namespace: input.cluster.namespace,
    cluster: input.cluster.name,
    uid: input.cluster.uid,
  });
  const bootstrap = { addresses: readyBrokerAddresses(observed, input.port), tls: input.tls ?? null };
  if (bootstrap.addresses.length === 0) return { noBroker: true };
  const kafka = await deps.observeKafka({ bootstrap, probe: brokerClientAddresses(observed, input.port) });
  const byName = new Map(observed.map((n) => [n.podName, n]));
  for (const node of markStartingBrokers(observed, kafka.serving ?? [], kafka.quorum)) {
    byName.set(node.podName, node);
  }
  const pick = (names: string[]): ObservedNode[] =>
    names.map((n) => byName.get(n)).filter((n): n is ObservedNode => n !== undefined);
  const decision = chooseNextRestart({
    pending: pick(input.pending),
    restarted: pick(input.restarted),
    nodes: [...byName.values()],
    quorum: kafka.quorum,
    partitions: kafka.partitions,
    zoneBatched: input.zoneBatched,
    delayBetweenRestartsMs: input.delayBetweenRestartsMs,
    lastRestartAt,
    now: Date.now(),
    passUnprotectable: input.passUnprotectable,
  });
  return { decision, bootstrap };
}

export function rollDecisionActivities(deps: RollDecisionDeps) {
  const sleep = deps.sleep ?? ((ms: number) => Context.current().sleep(ms));
  return {
    async awaitRollDecision(input: RollDecisionInput): Promise<RollDecisionResult> {
      const lastRestartAt =
        input.sinceLastRestartMs === undefined ? undefined : Date.now() - input.sinceLastRestartMs;
      const key = { namespace: input.cluster.namespace, name: input.cluster.name };
      for (const event of input.events ?? []) await deps.recordEvent(event);
      let awaited = 'the cluster';
      let reported = '';
      const report = async (awaiting: string): Promise<void> => {
        awaited = awaiting;
        if (awaiting === reported) return;
        reported = awaiting;
        await deps.patchStatus({
          ...key,
          status: {},
          progress: { step: 'waiting before the next restart', blockedReason: awaiting },
        });
      };
      const decide = async (): Promise<RollDecisionResult> => {
        for (;;) {
          const look = await decideOnce(deps, input, lastRestartAt);
          if ('noBroker' in look) {
            await report('no broker is ready');
            await sleep(noBrokerWaitMs);
            continue;
          }
          const { decision, bootstrap } = look;
          if (decision.kind === 'wait') {
            await report(decision.reason);
            await sleep(Math.min(decision.retryAfterMs, noBrokerWaitMs));
            continue;
          }
          const step: RollStep = input.safePointOnly ? { kind: 'safe-point' } : decision;
          if (step.kind === 'restart') {
            // Said here rather than by the workflow: one status write, no extra workflow task per node.
            await deps.patchStatus({
              ...key,
              status: {},
              progress: {
                step: `restarting node ${step.nodes.map((n) => n.nodeId).join(', ')}`,
                node: step.nodes.map((n) => n.podName).join(', '),
                blockedReason: null,
              },
            });
          }
          // The cluster has caught up with the last restart: give leadership back.
          if (input.restoreLeadership && decision.kind !== 'blocked') {
            awaited = 'preferred leader election';
            const { notElected } = await deps.electPreferredLeaders({ bootstrap });
            return { step, notElected: notElected.slice(0, 20) };
          }
          return { step };
        }
      };
      return whileHeartbeating(() => ({ awaiting: awaited }), decide);
    },
  };
}
