// The KRaft nodes a spec asks for: one per replica of each pool, with a stable
// node id, a zone and its roles. Node ids come in blocks of 100 per pool; a
// pool keeps its block for life (the caller passes the blocks already given
// out, from status), so adding or removing pools never renumbers a node, and
// a removed pool's block is not given to another pool while any of its nodes
// (a pod or a kept claim) is left. Each node keeps its zone for life too: its
// volume lives in that zone, so a change to the pool's zones only places new
// nodes, in the zone with the fewest of the pool's nodes.
import type { KafkaClusterSpec } from '../crd/kafka-cluster.ts';
import { names } from './names.ts';

export const nodeIdBlock = 100;

export interface KafkaNode {
  pool: string;
  index: number;
  nodeId: number;
  podName: string;
  zone: string;
  roles: ('controller' | 'broker')[];
  /**
   * In a secured cluster, the certificate and trusted CAs the node must run
   * with (nodeCertificateMark): a renewed certificate or a CA renewal's phase
   * changes the node's config hash, so the node restarts with it in a roll
   * like any other change.
   */
  certificate?: string;
  /**
   * Where clients outside Kubernetes reach the node on each external
   * listener, as found on its Service (the node port; the load balancer's
   * address): what the node advertises, so a change restarts it.
   */
  external?: ExternalAddress[];
}

export interface ExternalAddress {
  listener: string;
  /** The load balancer's address; none for a node port (the node's own address). */
  host?: string;
  port: number;
  /** The bootstrap load balancer's address: clients reach this node through it too, so its certificate names it. */
  bootstrapHost?: string;
}

/** Gives each pool its block of node ids: existing ones are kept, new pools get the next free block. */
export function assignNodeIdBases(
  pools: readonly { name: string }[],
  existing: Readonly<Record<string, number>>,
): Record<string, number> {
  const bases: Record<string, number> = {};
  const used = new Set(Object.values(existing));
  for (const pool of pools) {
    const known = existing[pool.name];
    if (known !== undefined) {
      bases[pool.name] = known;
      continue;
    }
    let base = 0;
    while (used.has(base)) base += nodeIdBlock;
    used.add(base);
    bases[pool.name] = base;
  }
  return bases;
}

/**
 * The zone of each node index of a pool: indices already placed keep their
 * zone (even one no longer in `zones`); each new index goes to the zone of
 * `zones` with the fewest of the pool's running nodes, the first such zone
 * in the list on a tie (so a new pool is placed round-robin).
 */
export function assignNodeZones(
  zones: readonly string[],
  replicas: number,
  known: readonly string[] = [],
): string[] {
  const placed = [...known];
  for (let index = placed.length; index < replicas; index++) {
    const count = (zone: string) => placed.slice(0, index).filter((z) => z === zone).length;
    const zone = zones.reduce((best, z) => (count(z) < count(best) ? z : best), zones[0] ?? '');
    placed.push(zone);
  }
  return placed;
}

/** What status records of each pool, so that its nodes keep their ids and zones for life. */
export interface PoolLayout {
  name: string;
  nodeIdBase: number;
  /** The zone of node index i; kept past the pool's replicas, for claims that outlive their pods. */
  nodeZones?: string[];
}

/**
 * The layout of every pool after this spec: pools of the spec get or keep
 * their blocks and zones; a removed pool stays recorded while `inUse` says
 * some of its nodes are left, so its block is not given out again.
 */
export function planPoolLayouts(
  pools: readonly { name: string; replicas: number; zones: readonly string[] }[],
  known: readonly PoolLayout[],
  inUse: (pool: string) => boolean = () => true,
): PoolLayout[] {
  const knownByName = new Map(known.map((p) => [p.name, p]));
  const bases = assignNodeIdBases(pools, Object.fromEntries(known.map((p) => [p.name, p.nodeIdBase])));
  const current = pools.map((pool) => ({
    name: pool.name,
    nodeIdBase: bases[pool.name] ?? 0,
    nodeZones: assignNodeZones(pool.zones, pool.replicas, knownByName.get(pool.name)?.nodeZones),
  }));
  const removed = known.filter((p) => !pools.some((q) => q.name === p.name) && inUse(p.name));
  return [...current, ...removed];
}

export function planNodes(
  cluster: string,
  spec: Pick<KafkaClusterSpec, 'nodePools'>,
  idBases: Readonly<Record<string, number>>,
  nodeZones: Readonly<Record<string, readonly string[]>> = {},
): KafkaNode[] {
  return spec.nodePools.flatMap((pool) => {
    const base = idBases[pool.name];
    if (base === undefined) throw new Error(`node pool ${pool.name} has no node id block`);
    const zones = assignNodeZones(pool.zones, pool.replicas, nodeZones[pool.name]);
    return Array.from({ length: pool.replicas }, (_, index) => ({
      pool: pool.name,
      index,
      nodeId: base + index,
      podName: names.nodePod(cluster, pool.name, index),
      zone: zones[index] ?? '',
      roles: [...pool.roles].sort(),
    }));
  });
}
