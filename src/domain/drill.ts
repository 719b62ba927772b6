// Decisions of a zone failover drill, as pure functions: whether a zone can
// go down without any partition losing its in-sync minimum or the KRaft
// quorum losing its majority, and which partitions must hand leadership to a
// replica outside the zone first (done by putting such a replica first and
// electing preferred leaders; the original order is put back at fail-back).
import type { ObservedNode, PartitionState, QuorumState } from './observed.ts';
import type { Moves } from './reassignment.ts';

export type DrillPrecheck = { ok: true; zoneNodes: ObservedNode[] } | { ok: false; message: string };

export function drillPrecheck(input: {
  zone: string;
  nodes: readonly ObservedNode[];
  partitions: readonly PartitionState[];
  quorum: QuorumState | undefined;
}): DrillPrecheck {
  const zoneNodes = input.nodes.filter((n) => n.zone === input.zone);
  if (zoneNodes.length === 0) return { ok: false, message: `no node runs in zone ${input.zone}` };
  const notReady = input.nodes.filter((n) => !n.ready);
  if (notReady.length > 0) {
    return { ok: false, message: `not every node is ready (${notReady.map((n) => n.podName).join(', ')})` };
  }
  const inZone = new Set(zoneNodes.map((n) => n.nodeId));
  const short = input.partitions.filter(
    (p) => p.isr.filter((r) => !inZone.has(r)).length < Math.max(1, p.minIsr),
  );
  if (short.length > 0) {
    const named = short.slice(0, 10).map((p) => `${p.topic}/${p.partition}`);
    return {
      ok: false,
      message: `without zone ${input.zone} these partitions would have fewer in-sync replicas than min.insync.replicas: ${named.join(', ')}${short.length > 10 ? ` and ${short.length - 10} more` : ''}`,
    };
  }
  if (input.quorum) {
    const outside = input.quorum.voters.filter((v) => !inZone.has(v.nodeId) && v.caughtUp).length;
    if (outside * 2 <= input.quorum.voters.length) {
      return {
        ok: false,
        message: `without zone ${input.zone} only ${outside} of ${input.quorum.voters.length} KRaft voters would remain: no majority`,
      };
    }
  }
  return { ok: true, zoneNodes };
}

/** Replica orders that put an in-sync replica outside the zone first, for partitions led from the zone. */
export function leaderEvacuationMoves(
  partitions: readonly { topic: string; partition: number; replicas: number[]; isr: number[] }[],
  zoneBrokerIds: readonly number[],
): Moves {
  const moves: Moves = [];
  for (const p of partitions) {
    const first = p.replicas[0];
    if (first === undefined || !zoneBrokerIds.includes(first)) continue;
    const outside = p.replicas.find((r) => !zoneBrokerIds.includes(r) && p.isr.includes(r));
    if (outside === undefined) continue; // refused by the precheck
    moves.push({
      topic: p.topic,
      partition: p.partition,
      replicas: [outside, ...p.replicas.filter((r) => r !== outside)],
    });
  }
  return moves;
}

/** Whether every move's partition has exactly the target replica order (a reorder moves no data, only order). */
export function ordersApplied(
  moves: Moves,
  partitions: readonly { topic: string; partition: number; replicas: number[] }[],
): boolean {
  const byKey = new Map(partitions.map((p) => [`${p.topic}/${p.partition}`, p.replicas.join(',')]));
  return moves.every((m) => byKey.get(`${m.topic}/${m.partition}`) === m.replicas.join(','));
}
