// Where replicas go when brokers join or leave, as pure functions of the
// current assignment. Scale-up moves replicas onto new brokers until every
// broker holds about the same number; a drain moves every replica off the
// leaving brokers. Both keep each partition on distinct brokers and, where
// the zones allow it, in distinct zones, and change as few replicas as they
// can. A drain that the remaining brokers cannot hold is refused, naming the
// partitions, before anything moves.

export interface Broker {
  id: number;
  zone: string;
}

export interface PartitionAssignment {
  topic: string;
  partition: number;
  replicas: number[];
}

export type Moves = PartitionAssignment[];

const key = (p: PartitionAssignment): string => `${p.topic}/${p.partition}`;

function replicaCounts(
  assignment: readonly PartitionAssignment[],
  brokers: readonly Broker[],
): Map<number, number> {
  const counts = new Map(brokers.map((b) => [b.id, 0]));
  for (const p of assignment) for (const r of p.replicas) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

/** Whether putting `candidate` in place of `replaced` keeps the partition's zones at least as spread as before. */
function keepsSpread(
  replicas: readonly number[],
  replaced: number,
  candidate: number,
  zoneOf: ReadonlyMap<number, string>,
): boolean {
  const others = replicas.filter((r) => r !== replaced).map((r) => zoneOf.get(r));
  const zone = zoneOf.get(candidate);
  return !others.includes(zone) || zone === zoneOf.get(replaced);
}

/**
 * Moves that spread replicas onto `added` brokers: repeatedly hand one
 * replica from the most loaded broker to the least loaded new broker, never
 * the first (preferred leader) replica, until no new broker is below the
 * average. Returns only the partitions that change, with their full new
 * replica list.
 */
export function planSpread(
  assignment: readonly PartitionAssignment[],
  brokers: readonly Broker[],
  added: readonly number[],
): Moves {
  const zoneOf = new Map(brokers.map((b) => [b.id, b.zone]));
  const target = new Map(assignment.map((p) => [key(p), [...p.replicas]]));
  const counts = replicaCounts(assignment, brokers);
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const floor = Math.floor(total / brokers.length);
  for (;;) {
    const receiver = [...added].sort((a, b) => (counts.get(a) ?? 0) - (counts.get(b) ?? 0) || a - b)[0];
    if (receiver === undefined || (counts.get(receiver) ?? 0) >= floor) break;
    let moved = false;
    const donors = [...counts.keys()]
      .filter((id) => !added.includes(id))
      .sort((a, b) => (counts.get(b) ?? 0) - (counts.get(a) ?? 0) || a - b);
    for (const donor of donors) {
      if ((counts.get(donor) ?? 0) <= floor) break;
      const candidate = assignment.find((p) => {
        const replicas = target.get(key(p)) ?? [];
        const at = replicas.indexOf(donor);
        return at > 0 && !replicas.includes(receiver) && keepsSpread(replicas, donor, receiver, zoneOf);
      });
      if (!candidate) continue;
      const replicas = target.get(key(candidate)) ?? [];
      replicas[replicas.indexOf(donor)] = receiver;
      counts.set(donor, (counts.get(donor) ?? 0) - 1);
      counts.set(receiver, (counts.get(receiver) ?? 0) + 1);
      moved = true;
      break;
    }
    if (!moved) break; // nothing more can move without breaking spread
  }
  return changed(assignment, target);
}

export type DrainPlan = { kind: 'moves'; moves: Moves } | { kind: 'refused'; message: string };

/**
 * Moves every replica off `leaving` brokers onto the least loaded remaining
 * broker that keeps the partition spread. Refused, with the partitions
 * named, when the remaining brokers are fewer than a partition's
 * replication factor.
 */
export function planDrain(
  assignment: readonly PartitionAssignment[],
  brokers: readonly Broker[],
  leaving: readonly number[],
): DrainPlan {
  const remaining = brokers.filter((b) => !leaving.includes(b.id));
  const tooFew = assignment.filter((p) => p.replicas.length > remaining.length);
  if (tooFew.length > 0) {
    const names = tooFew.slice(0, 5).map(key).join(', ');
    return {
      kind: 'refused',
      message: `${remaining.length} broker(s) would remain, fewer than the replication factor of ${tooFew.length} partition(s) (${names}${tooFew.length > 5 ? ', …' : ''})`,
    };
  }
  // Rack spread: partitions spread over n zones keep that many if they can.
  const zonesBefore = new Set(brokers.map((b) => b.zone));
  const zonesAfter = new Set(remaining.map((b) => b.zone));
  const widest = Math.max(0, ...assignment.map((p) => p.replicas.length));
  if (zonesAfter.size < Math.min(widest, zonesBefore.size)) {
    return {
      kind: 'refused',
      message: `only ${[...zonesAfter].sort().join(', ') || 'no zone'} would keep brokers, but partitions with ${widest} replicas are spread over ${Math.min(widest, zonesBefore.size)} zones`,
    };
  }
  const zoneOf = new Map(brokers.map((b) => [b.id, b.zone]));
  const target = new Map(assignment.map((p) => [key(p), [...p.replicas]]));
  const counts = replicaCounts(assignment, remaining);
  for (const p of assignment) {
    const replicas = target.get(key(p)) ?? [];
    for (const [index, replica] of replicas.entries()) {
      if (!leaving.includes(replica)) continue;
      const options = remaining
        .map((b) => b.id)
        .filter((id) => !replicas.includes(id))
        .sort(
          (a, b) =>
            Number(keepsSpread(replicas, replica, b, zoneOf)) -
              Number(keepsSpread(replicas, replica, a, zoneOf)) ||
            (counts.get(a) ?? 0) - (counts.get(b) ?? 0) ||
            a - b,
        );
      const chosen = options[0];
      if (chosen === undefined) {
        return { kind: 'refused', message: `no remaining broker can take partition ${key(p)}` };
      }
      replicas[index] = chosen;
      counts.set(chosen, (counts.get(chosen) ?? 0) + 1);
    }
  }
  return { kind: 'moves', moves: changed(assignment, target) };
}

function changed(assignment: readonly PartitionAssignment[], target: ReadonlyMap<string, number[]>): Moves {
  return assignment
    .map((p) => ({ topic: p.topic, partition: p.partition, replicas: target.get(key(p)) ?? p.replicas }))
    .filter((p, i) => p.replicas.join(',') !== assignment[i]?.replicas.join(','));
}

/** Which moves are finished: the partition has exactly its target replicas, all in sync. */
export function reassignmentProgress(
  moves: Moves,
  current: readonly { topic: string; partition: number; replicas: number[]; isr: number[] }[],
): { done: number; total: number; pending: Moves } {
  const byKey = new Map(current.map((p) => [key(p), p]));
  const pending = moves.filter((m) => {
    const now = byKey.get(key(m));
    if (!now) return true;
    const same = [...now.replicas].sort().join(',') === [...m.replicas].sort().join(',');
    return !same || !m.replicas.every((r) => now.isr.includes(r));
  });
  return { done: moves.length - pending.length, total: moves.length, pending };
}

/** Brokers that still hold any replica among `ids`, with how many (a drain is done only at zero). */
export function replicasHeldBy(
  assignment: readonly { replicas: number[] }[],
  ids: readonly number[],
): Map<number, number> {
  const held = new Map<number, number>();
  for (const p of assignment)
    for (const r of p.replicas) if (ids.includes(r)) held.set(r, (held.get(r) ?? 0) + 1);
  return held;
}
