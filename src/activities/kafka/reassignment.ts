// Moving replicas between brokers: read the assignment, throttle the
// replication the moves cause, start the moves (AlterPartitionReassignments,
// which brokers forward to the controller; repeating the same targets is
// harmless), wait until every moved partition has exactly its target
// replicas all in sync, and clear the throttle. Brokers leaving the cluster
// are unregistered from the KRaft metadata once their pods are gone.
import {
  Admin,
  alterPartitionReassignmentsV0,
  ConfigResourceTypes,
  IncrementalAlterConfigOperationTypes,
  listPartitionReassignmentsV0,
  unregisterBrokerV0,
} from '@platformatic/kafka';
import { reassignmentProgress, type Moves } from '../../domain/reassignment.ts';
import { readMetadata, withConnection } from './connection.ts';
import type { KafkaAccess } from '../../domain/tls.ts';
import type { KafkaClientOptions, KafkaClients } from './client-options.ts';

export interface PartitionReplicas {
  topic: string;
  partition: number;
  /** -1 while the partition has no leader (offline). */
  leader: number;
  replicas: number[];
  isr: number[];
}

export async function readPartitions(
  client: KafkaClientOptions,
): Promise<{ brokers: number[]; partitions: PartitionReplicas[] }> {
  const metadata = await withConnection(client, readMetadata);
  return {
    brokers: metadata.brokers.map((b) => b.nodeId).sort((a, b) => a - b),
    partitions: metadata.topics.flatMap((t) =>
      t.partitions.map((p) => ({
        topic: t.name ?? '',
        partition: p.partitionIndex,
        leader: p.leaderId,
        replicas: p.replicaNodes,
        isr: p.isrNodes,
      })),
    ),
  };
}

const throttleRates = ['leader.replication.throttled.rate', 'follower.replication.throttled.rate'];
const throttledReplicas = [
  'leader.replication.throttled.replicas',
  'follower.replication.throttled.replicas',
];

/** Reading assignments and throttling the replication that moves cause. */
export function reassignmentActivities(kafka: KafkaClients) {
  return {
    /** Every partition (internal topics included) with its replicas and ISR, and the registered brokers. */
    readAssignment: async (input: { bootstrap: KafkaAccess }) =>
      readPartitions(await kafka.options(input.bootstrap)),

    /**
     * Throttles the replication the moves cause, as kafka-reassign-partitions
     * does: on the moved partitions, leaders throttled on their current
     * replicas and followers on the replicas being added; the rate on every
     * broker involved.
     */
    async throttleMoves(input: {
      bootstrap: KafkaAccess;
      moves: Moves;
      bytesPerSecond: number;
    }): Promise<void> {
      const { partitions } = await readPartitions(await kafka.options(input.bootstrap));
      const byKey = new Map(partitions.map((p) => [`${p.topic}/${p.partition}`, p]));
      const leaders = new Map<string, string[]>();
      const followers = new Map<string, string[]>();
      const brokers = new Set<number>();
      for (const move of input.moves) {
        const current = byKey.get(`${move.topic}/${move.partition}`)?.replicas ?? [];
        for (const r of current)
          leaders.set(move.topic, [...(leaders.get(move.topic) ?? []), `${move.partition}:${r}`]);
        for (const r of move.replicas.filter((r) => !current.includes(r)))
          followers.set(move.topic, [...(followers.get(move.topic) ?? []), `${move.partition}:${r}`]);
        for (const r of [...current, ...move.replicas]) brokers.add(r);
      }
      const admin = new Admin(await kafka.options(input.bootstrap));
      try {
        await admin.incrementalAlterConfigs({
          resources: [
            ...[...brokers].map((id) => ({
              resourceType: ConfigResourceTypes.BROKER,
              resourceName: String(id),
              configs: throttleRates.map((name) => ({
                name,
                value: String(input.bytesPerSecond),
                configOperation: IncrementalAlterConfigOperationTypes.SET,
              })),
            })),
            ...[...new Set([...leaders.keys(), ...followers.keys()])].map((topic) => ({
              resourceType: ConfigResourceTypes.TOPIC,
              resourceName: topic,
              configs: [
                {
                  name: throttledReplicas[0] ?? '',
                  value: (leaders.get(topic) ?? []).join(','),
                  configOperation: IncrementalAlterConfigOperationTypes.SET,
                },
                {
                  name: throttledReplicas[1] ?? '',
                  value: (followers.get(topic) ?? []).join(','),
                  configOperation: IncrementalAlterConfigOperationTypes.SET,
                },
              ],
            })),
          ],
        });
      } finally {
        await admin.close();
      }
    },

    /** Removes the throttle of throttleMoves from the brokers and topics named. */
    async clearThrottle(input: {
      bootstrap: KafkaAccess;
      brokers: number[];
      topics: string[];
    }): Promise<void> {
      const admin = new Admin(await kafka.options(input.bootstrap));
      try {
        await admin.incrementalAlterConfigs({
          resources: [
            ...input.brokers.map((id) => ({
              resourceType: ConfigResourceTypes.BROKER,
              resourceName: String(id),
              configs: throttleRates.map((name) => ({
                name,
                configOperation: IncrementalAlterConfigOperationTypes.DELETE,
              })),
            })),
            ...input.topics.map((topic) => ({
              resourceType: ConfigResourceTypes.TOPIC,
              resourceName: topic,
              configs: throttledReplicas.map((name) => ({
                name,
                configOperation: IncrementalAlterConfigOperationTypes.DELETE,
              })),
            })),
          ],
        });
      } finally {
        await admin.close();
      }
    },
  };
}

/** Moving replicas, following the moves, and unregistering brokers that left. */
export function replicaMoveActivities(kafka: KafkaClients) {
  return {
    /** Starts the moves; partitions already at their target are left as they are. */
    async startMoves(input: { bootstrap: KafkaAccess; moves: Moves }): Promise<void> {
      const byTopic = new Map<string, { partitionIndex: number; replicas: number[] }[]>();
      for (const m of input.moves) {
        byTopic.set(m.topic, [
          ...(byTopic.get(m.topic) ?? []),
          { partitionIndex: m.partition, replicas: m.replicas },
        ]);
      }
      const response = await withConnection(await kafka.options(input.bootstrap), (c) =>
        alterPartitionReassignmentsV0.api.async(
          c,
          30_000,
          false,
          [...byTopic].map(([name, partitions]) => ({ name, partitions })),
        ),
      );
      if (response.errorCode !== 0)
        throw new Error(response.errorMessage ?? `error code ${response.errorCode}`);
    },

    /**
     * How far the moves are: done counts a partition only when it has exactly
     * its target replicas, all in sync, so a partial or failed reassignment
     * never counts; inFlight is what Kafka still lists as reassigning.
     */
    async moveProgress(input: {
      bootstrap: KafkaAccess;
      moves: Moves;
    }): Promise<{ done: number; total: number; inFlight: number }> {
      const { partitions } = await readPartitions(await kafka.options(input.bootstrap));
      const progress = reassignmentProgress(input.moves, partitions);
      const ongoing = await withConnection(await kafka.options(input.bootstrap), (c) =>
        listPartitionReassignmentsV0.api.async(c, 30_000, null),
      );
      const inFlight = ongoing.topics.reduce((n, t) => n + t.partitions.length, 0);
      return { done: progress.done, total: progress.total, inFlight };
    },

    /** Removes the registrations of nodes that left, so later upgrades do not count them. */
    async unregisterBrokers(input: { bootstrap: KafkaAccess; ids: number[] }): Promise<void> {
      for (const id of input.ids) {
        const response = await withConnection(await kafka.options(input.bootstrap), (c) =>
          unregisterBrokerV0.api.async(c, id),
        ).catch((err: { response?: { errorCode?: number } }) => {
          // BROKER_ID_NOT_REGISTERED (102): already gone, which is the goal.
          if (err.response?.errorCode === 102) return { errorCode: 0 };
          throw err;
        });
        if (response.errorCode !== 0) {
          throw new Error(`unregistering broker ${id} failed with error code ${response.errorCode}`);
        }
      }
    },
  };
}
