// The KRaft nodes a spec asks for: one per replica of each pool, with a stable
// node id, a zone and its roles. Node ids come in blocks of 100 per pool; a
// pool keeps its block for life (the caller passes the blocks already given
// out, from status), so adding or removing pools never renumbers a node.
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

export function planNodes(
  cluster: string,
  spec: Pick<KafkaClusterSpec, 'nodePools'>,
  idBases: Readonly<Record<string, number>>,
): KafkaNode[] {
  return spec.nodePools.flatMap((pool) => {
    const base = idBases[pool.name];
    if (base === undefined) throw new Error(`node pool ${pool.name} has no node id block`);
    return Array.from({ length: pool.replicas }, (_, index) => ({
      pool: pool.name,
      index,
      nodeId: base + index,
      podName: names.nodePod(cluster, pool.name, index),
      zone: pool.zones[index % pool.zones.length] ?? '',
      roles: [...pool.roles].sort(),
    }));
  });
}
