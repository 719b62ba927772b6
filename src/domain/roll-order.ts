// Which node a rolling restart restarts next, as a pure function of what is
// observed. The workflow calls it between restarts, so a roll re-decides from
// the cluster as it is, never from a plan made earlier.
//
// 1. Nothing left to restart: done.
// 2. A node restarted by this roll that is not back yet (pod not Ready, or
//    not yet in sync on all its partitions): wait for it; if its pod cannot
//    be scheduled or cannot start, stop the roll (blocked).
// 3. The delay between restarts has not passed: wait.
// 4. Unready nodes first: restarting a node that already serves nothing
//    costs no availability (Strimzi does the same).
// 5. Then controllers (controller-only, then combined nodes), then brokers;
//    the active quorum leader last of all.
// 6. A controller restarts only if, without it, a majority of all voters is
//    caught up with the leader.
// 7. A broker restarts only if no partition it holds in-sync would fall below
//    its min.insync.replicas; never while it replays its log. A partition
//    whose replication factor is not above its min.insync.replicas (RF 1, or
//    RF 2 with min 2) cannot stay available through any restart: it does not
//    hold the roll up (it would forever), it is named in the decision so the
//    workflow can say so in an Event (as Strimzi's KafkaRoller does).
// 8. With zone batching, the remaining brokers of the candidate's zone
//    restart together when step 7 holds for all of them at once; otherwise
//    one at a time.
// Nodes that fail 6 or 7 are skipped in favour of the next candidate; when
// none qualifies the roll waits, naming why.
import type { ObservedNode, PartitionState, QuorumState } from './observed.ts';

export interface RollState {
  /** Nodes still to restart in this roll. */
  pending: readonly ObservedNode[];
  /** Nodes this roll restarted already (by pod name). */
  restarted: readonly ObservedNode[];
  /** Every node of the cluster, as observed now. */
  nodes: readonly ObservedNode[];
  quorum: QuorumState | undefined;
  partitions: readonly PartitionState[];
  zoneBatched: boolean;
  delayBetweenRestartsMs: number;
  /** When the previous restart of this roll was made (ms), if any. */
  lastRestartAt: number | undefined;
  now: number;
  /**
   * Let partitions that no restart can keep available (RF ≤ min.insync.replicas)
   * through instead of waiting on them. False only to replay rolls recorded before.
   * @default true
   */
  passUnprotectable?: boolean;
}

export type RollDecision =
  | { kind: 'done' }
  | {
      kind: 'restart';
      nodes: ObservedNode[];
      reason: string;
      /** Partitions on these nodes that no restart can keep available (RF ≤ min.insync.replicas). */
      unprotectable: PartitionState[];
    }
  | { kind: 'wait'; reason: string; retryAfterMs: number }
  | { kind: 'blocked'; reason: string; message: string };

const isController = (n: ObservedNode): boolean => n.roles.includes('controller');
const isBroker = (n: ObservedNode): boolean => n.roles.includes('broker');
const shortWaitMs = 5_000;
// A restarted broker is usually back and in sync within seconds; a 5 s poll
// added about 2.5 s per broker to every roll (see the roll overhead benchmark). So the
// first minute after a restart is watched every second, and a slow catch-up
// after that every 5 s, which keeps the roll's history small.
const rejoinPollMs = 1_000;
const rejoinQuickWindowMs = 60_000;

/** How long to wait before looking again for a restarted node that is not back yet. */
export function rejoinRetryMs(now: number, lastRestartAt: number | undefined): number {
  const since = lastRestartAt === undefined ? Infinity : now - lastRestartAt;
  return since < rejoinQuickWindowMs ? rejoinPollMs : shortWaitMs;
}

function orderCandidates(pending: readonly ObservedNode[], quorum: QuorumState | undefined): ObservedNode[] {
  const rank = (n: ObservedNode): number => {
    if (!n.ready) return 0;
    if (quorum && n.nodeId === quorum.leaderId) return 4;
    if (isController(n) && !isBroker(n)) return 1;
    if (isController(n)) return 2;
    return 3;
  };
  return [...pending].sort((a, b) => rank(a) - rank(b) || a.nodeId - b.nodeId);
}

/** Why restarting `leaving` together would break the quorum, or undefined if it would not. */
export function quorumRisk(
  quorum: QuorumState | undefined,
  leaving: readonly ObservedNode[],
): string | undefined {
  const controllers = leaving.filter(isController);
  if (controllers.length === 0) return undefined;
  if (quorum === undefined) return 'the controller quorum state is unknown';
  const ids = new Set(controllers.map((n) => n.nodeId));
  const majority = Math.floor(quorum.voters.length / 2) + 1;
  const caughtUp = quorum.voters.filter((v) => !ids.has(v.nodeId) && v.caughtUp).length;
  return caughtUp >= majority
    ? undefined
    : `only ${caughtUp} of ${quorum.voters.length} controllers would stay caught up; a majority needs ${majority}`;
}

/** A partition with no replica to spare: any restart of one of its replicas makes it unavailable. */
export const isUnprotectable = (p: PartitionState): boolean => p.replicas.length <= p.minIsr;

/**
 * The partitions that would fall below min.insync.replicas if `leaving` went
 * down together; with `passUnprotectable`, not those no restart can spare.
 */
export function partitionsAtRisk(
  partitions: readonly PartitionState[],
  leaving: readonly ObservedNode[],
  passUnprotectable = true,
  /** Brokers Kafka may still list in an ISR but that serve nothing now (starting up): they count as out. */
  down: ReadonlySet<number> = new Set(),
): PartitionState[] {
  const ids = new Set(leaving.filter(isBroker).map((n) => n.nodeId));
  if (ids.size === 0) return [];
  return partitions.filter((p) => {
    if (passUnprotectable && isUnprotectable(p)) return false;
    if (!p.isr.some((id) => ids.has(id))) return false;
    return p.isr.filter((id) => !ids.has(id) && !down.has(id)).length < p.minIsr;
  });
}

/** The partitions that no restart can spare and that have a replica on `leaving`. */
export function unprotectablePartitions(
  partitions: readonly PartitionState[],
  leaving: readonly ObservedNode[],
): PartitionState[] {
  const ids = new Set(leaving.filter(isBroker).map((n) => n.nodeId));
  return partitions.filter((p) => isUnprotectable(p) && p.replicas.some((id) => ids.has(id)));
}

export const describePartitions = (parts: readonly PartitionState[]): string => {
  const named = parts
    .slice(0, 5)
    .map((p) => `${p.topic}-${p.partition} (ISR ${p.isr.join(',')}, min ${p.minIsr})`);
  return named.join(', ') + (parts.length > 5 ? ` and ${parts.length - 5} more` : '');
};

/** Why `leaving` may not go down together now, or undefined if it may. */
function riskOf(state: RollState, leaving: readonly ObservedNode[]): string | undefined {
  const recovering = leaving.find((n) => n.inLogRecovery);
  if (recovering) {
    return `${recovering.podName} is starting up (its broker runs but serves no requests until it recovers its log or catches up on metadata); restarting it would start that over`;
  }
  // Nodes already down cost nothing more when restarted.
  const up = leaving.filter((n) => n.ready);
  const quorum = quorumRisk(state.quorum, up);
  if (quorum) return quorum;
  // A broker starting up is still in the ISRs Kafka reports (until replica.lag.time.max.ms
  // passes) but serves nothing: it does not count towards min.insync.replicas.
  const starting = new Set(state.nodes.filter((n) => n.inLogRecovery).map((n) => n.nodeId));
  const atRisk = partitionsAtRisk(state.partitions, up, state.passUnprotectable ?? true, starting);
  if (atRisk.length > 0)
    return `restarting would leave ${describePartitions(atRisk)} below min.insync.replicas`;
  return undefined;
}

const restart = (state: RollState, nodes: ObservedNode[], reason: string): RollDecision => ({
  kind: 'restart',
  nodes,
  reason,
  unprotectable: state.passUnprotectable === false ? [] : unprotectablePartitions(state.partitions, nodes),
});

export function chooseNextRestart(state: RollState): RollDecision {
  const current = new Map(state.nodes.map((n) => [n.podName, n]));
  const rejoinWait = rejoinRetryMs(state.now, state.lastRestartAt);
  for (const done of state.restarted) {
    const now = current.get(done.podName);
    if (now?.failure) {
      return {
        kind: 'blocked',
        reason: now.failure.reason,
        message: `${done.podName} did not come back after its restart: ${now.failure.message}`,
      };
    }
    if (!now?.ready) {
      return { kind: 'wait', reason: `waiting for ${done.podName} to rejoin`, retryAfterMs: rejoinWait };
    }
    const behind = state.partitions.filter(
      (p) => p.replicas.includes(done.nodeId) && !p.isr.includes(done.nodeId),
    );
    if (behind.length > 0) {
      return {
        kind: 'wait',
        reason: `waiting for ${done.podName} to catch up on ${behind.length} under-replicated partitions`,
        retryAfterMs: rejoinWait,
      };
    }
  }
  if (state.pending.length === 0) return { kind: 'done' };
  if (state.lastRestartAt !== undefined) {
    const ready = state.lastRestartAt + state.delayBetweenRestartsMs;
    if (state.now < ready) {
      return { kind: 'wait', reason: 'delay between restarts', retryAfterMs: ready - state.now };
    }
  }

  const reasons: string[] = [];
  for (const candidate of orderCandidates(
    state.pending.map((n) => current.get(n.podName) ?? n),
    state.quorum,
  )) {
    const risk = riskOf(state, [candidate]);
    if (risk) {
      reasons.push(`${candidate.podName}: ${risk}`);
      continue;
    }
    if (state.zoneBatched && isBroker(candidate) && !isController(candidate)) {
      const zone = state.pending
        .map((n) => current.get(n.podName) ?? n)
        .filter((n) => n.zone === candidate.zone && isBroker(n) && !isController(n));
      if (zone.length > 1 && riskOf(state, zone) === undefined) {
        return restart(state, zone, `all brokers of zone ${candidate.zone} at once`);
      }
    }
    const why = !candidate.ready
      ? 'not ready, so restarted first'
      : state.quorum?.leaderId === candidate.nodeId
        ? 'the active controller, restarted last'
        : isController(candidate)
          ? 'controllers before brokers'
          : 'next broker';
    return restart(state, [candidate], why);
  }
  return { kind: 'wait', reason: reasons.join('; '), retryAfterMs: shortWaitMs };
}
