// What Keelson does with one KafkaTopic, as a pure function of the spec and
// what Kafka holds: create the topic, adopt an existing one only when it is
// already as the spec says, grow partitions, set and remove configs, change
// the replication factor by moving replicas; or refuse, saying why and
// changing nothing. A topic Keelson did not create or adopt (its id is not
// the one in status) is never changed or deleted.
import type { KafkaTopicSpec } from '../crd/kafka-topic.ts';
import { topicThrottleKeys } from '../crd/topic-config-keys.ts';
import type { Broker, Moves } from './reassignment.ts';

/** Set on every KafkaTopic Keelson reconciles: deletion waits until the topic is deleted (or released, with deletePolicy retain). */
export const topicFinalizer = 'keelson.dev/topic-deletion';

/** A topic as Kafka holds it. */
export interface TopicInKafka {
  id: string;
  partitions: { partition: number; leader: number; replicas: number[] }[];
  /** The topic's own (dynamic) configs, throttle keys included. */
  configs: Record<string, string>;
}

export type TopicPlan =
  | { kind: 'create'; partitions: number; replicas: number; configs: Record<string, string> }
  | { kind: 'refuse'; reason: string; message: string }
  | {
      kind: 'converge';
      /** The topic was not Keelson's until now: its id goes into status. */
      adopt: boolean;
      /** The partition count to grow to, when it grows. */
      growPartitionsTo?: number;
      setConfigs: Record<string, string>;
      deleteConfigs: string[];
      /** The replication factor differs: replicas must move. */
      changeReplicas: boolean;
    };

export const desiredConfigs = (spec: Pick<KafkaTopicSpec, 'config'>): Record<string, string> =>
  Object.fromEntries(Object.entries(spec.config).map(([k, v]) => [k, String(v)]));

/** The topic's own configs, less the throttle keys Keelson sets while replicas move. */
export const userConfigs = (configs: Record<string, string>): Record<string, string> =>
  Object.fromEntries(
    Object.entries(configs).filter(([k]) => !(topicThrottleKeys as readonly string[]).includes(k)),
  );

/** The replication factor of a topic: its partitions' most common replica count. */
export const replicationFactor = (topic: Pick<TopicInKafka, 'partitions'>): number =>
  Math.max(0, ...topic.partitions.map((p) => p.replicas.length));

function configDifferences(want: Record<string, string>, have: Record<string, string>) {
  const setConfigs = Object.fromEntries(Object.entries(want).filter(([k, v]) => have[k] !== v));
  const deleteConfigs = Object.keys(have)
    .filter((k) => !(k in want))
    .sort();
  return { setConfigs, deleteConfigs };
}

export function planTopic(input: {
  topicName: string;
  spec: KafkaTopicSpec;
  /** status.topicId: the topic Keelson created or adopted. */
  ownedId: string | undefined;
  inKafka: TopicInKafka | undefined;
  /** Brokers registered in the cluster. */
  brokers: number;
}): TopicPlan {
  const { spec, inKafka, topicName } = input;
  const configs = desiredConfigs(spec);
  if (spec.replicas > input.brokers)
    return {
      kind: 'refuse',
      reason: 'NotEnoughBrokers',
      message: `replicas ${spec.replicas} is more than the cluster's ${input.brokers} brokers`,
    };
  if (!inKafka) return { kind: 'create', partitions: spec.partitions, replicas: spec.replicas, configs };
  const have = userConfigs(inKafka.configs);
  const { setConfigs, deleteConfigs } = configDifferences(configs, have);
  const partitions = inKafka.partitions.length;
  const rf = replicationFactor(inKafka);
  if (input.ownedId !== inKafka.id) {
    // Adopting a topic as it is changes nothing in Kafka; adopting one with
    // other settings could lose records (a shorter retention, say) or move
    // keys to other partitions, so it is refused until the spec matches.
    const differences = [
      ...(partitions !== spec.partitions ? [`partitions ${partitions} (spec: ${spec.partitions})`] : []),
      ...(rf !== spec.replicas ? [`replicas ${rf} (spec: ${spec.replicas})`] : []),
      ...Object.keys(setConfigs).map(
        (k) => `${k} ${k in have ? `= ${have[k]}` : 'not set'} (spec: ${configs[k]})`,
      ),
      ...deleteConfigs.map((k) => `${k} = ${have[k]} (spec: not set)`),
    ];
    if (differences.length > 0)
      return {
        kind: 'refuse',
        reason: 'TopicExists',
        message: `topic ${topicName} already exists in Kafka with other settings: ${differences.join(', ')}. Keelson adopts an existing topic only as it is: make the spec match it, then change the spec`,
      };
    return { kind: 'converge', adopt: true, setConfigs: {}, deleteConfigs: [], changeReplicas: false };
  }
  if (partitions > spec.partitions)
    return {
      kind: 'refuse',
      reason: 'PartitionsDecrease',
      message: `topic ${topicName} has ${partitions} partitions and the spec asks for ${spec.partitions}: Kafka cannot take partitions away`,
    };
  return {
    kind: 'converge',
    adopt: false,
    ...(partitions < spec.partitions ? { growPartitionsTo: spec.partitions } : {}),
    setConfigs,
    deleteConfigs,
    changeReplicas: rf !== spec.replicas,
  };
}

/**
 * The moves that bring every partition of a topic to `replicas` replicas.
 * Adding: the broker whose zone the partition has least, then the least
 * loaded. Removing: never the leader; the replica whose zone the partition
 * has most, then the most loaded broker's. `load` counts replicas per broker
 * across the cluster and is updated as moves are planned, so several topics
 * planned in turn spread together.
 */
export function planReplicationChange(
  topic: string,
  partitions: TopicInKafka['partitions'],
  replicas: number,
  brokers: readonly Broker[],
  load: Map<number, number>,
): Moves {
  const zoneOf = new Map(brokers.map((b) => [b.id, b.zone]));
  const moves: Moves = [];
  for (const p of partitions) {
    const target = [...p.replicas];
    const zoneCount = (zone: string | undefined) => target.filter((r) => zoneOf.get(r) === zone).length;
    while (target.length < replicas) {
      const candidate = brokers
        .filter((b) => !target.includes(b.id))
        .sort(
          (a, b) =>
            zoneCount(a.zone) - zoneCount(b.zone) ||
            (load.get(a.id) ?? 0) - (load.get(b.id) ?? 0) ||
            a.id - b.id,
        )[0];
      if (!candidate) break;
      target.push(candidate.id);
      load.set(candidate.id, (load.get(candidate.id) ?? 0) + 1);
    }
    const leader = p.leader >= 0 ? p.leader : target[0];
    while (target.length > replicas) {
      const dropped = target
        .filter((r) => r !== leader)
        .sort(
          (a, b) =>
            zoneCount(zoneOf.get(b)) - zoneCount(zoneOf.get(a)) ||
            (load.get(b) ?? 0) - (load.get(a) ?? 0) ||
            b - a,
        )[0];
      if (dropped === undefined) break;
      target.splice(target.indexOf(dropped), 1);
      load.set(dropped, (load.get(dropped) ?? 1) - 1);
    }
    if (target.join(',') !== p.replicas.join(','))
      moves.push({ topic, partition: p.partition, replicas: target });
  }
  return moves;
}

/**
 * Which KafkaTopic owns a topic name when several name it: the one holding
 * the topic (its id in status), then one already claiming the name in its
 * status, then the oldest, then the first by name. Creation times have
 * seconds only, so a claim already made must win over the clock.
 */
export function topicOwners<
  T extends { name: string; created: string; topicName: string; holds: boolean; claims: boolean },
>(topics: readonly T[]): Map<string, T> {
  const owners = new Map<string, T>();
  const rank = (t: T) => (t.holds ? 0 : t.claims ? 1 : 2);
  const ordered = [...topics].sort(
    (a, b) => rank(a) - rank(b) || a.created.localeCompare(b.created) || a.name.localeCompare(b.name),
  );
  for (const t of ordered) if (!owners.has(t.topicName)) owners.set(t.topicName, t);
  return owners;
}
