// What Kafka says about a running cluster, for the roll's safety decisions:
// every partition (internal topics included) with its replicas, in-sync
// replicas and effective min.insync.replicas, and the KRaft quorum with
// which voters are caught up. Metadata and quorum come from the protocol
// APIs directly: the client's metadata helper leaves internal topics out,
// and __consumer_offsets must not fall below its minimum either.
import {
  Admin,
  ConfigResourceTypes,
  type Connection,
  describeQuorumV1,
  describeQuorumV2,
} from '@platformatic/kafka';
import type { PartitionState, QuorumState } from '../../domain/observed.ts';
import { clientId, readMetadata, withConnection } from './connection.ts';

/** A voter counts as caught up if it fetched the leader's end within this long of the most recent voter. */
const caughtUpWithinMs = 2_000n;
/** A replica fetching the metadata log at all fetches every half second or so; within this it runs. */
const fetchedWithinMs = 5_000n;

async function describeQuorum(connection: Connection): Promise<QuorumState> {
  const request = [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }];
  // v2 (Kafka 3.9+) first; v1 where a broker does not offer v2.
  const response = await describeQuorumV2.api
    .async(connection, request)
    .catch(() => describeQuorumV1.api.async(connection, request));
  const partition = response.topics[0]?.partitions[0];
  if (!partition) throw new Error('DescribeQuorum returned no partition');
  const newest = partition.currentVoters.reduce(
    (max, v) => (v.lastCaughtUpTimestamp > max ? v.lastCaughtUpTimestamp : max),
    -1n,
  );
  // The leader's clock, as near as the response tells it: its latest fetch timestamp of anyone.
  const replicas = [...partition.currentVoters, ...partition.observers];
  const now = replicas.reduce((max, r) => (r.lastFetchTimestamp > max ? r.lastFetchTimestamp : max), -1n);
  return {
    leaderId: partition.leaderId,
    voters: partition.currentVoters.map((v) => ({
      nodeId: v.replicaId,
      caughtUp: v.replicaId === partition.leaderId || newest - v.lastCaughtUpTimestamp <= caughtUpWithinMs,
    })),
    fetching: replicas
      .filter((r) => r.replicaId === partition.leaderId || now - r.lastFetchTimestamp <= fetchedWithinMs)
      .map((r) => r.replicaId),
  };
}

export function clusterStateActivities() {
  return {
    async observeKafka(input: { bootstrap: string[] }): Promise<{
      brokers: number[];
      partitions: PartitionState[];
      quorum: QuorumState;
    }> {
      const admin = new Admin({ clientId, bootstrapBrokers: input.bootstrap });
      try {
        return await withConnection(input.bootstrap, async (connection) => {
          const metadata = await readMetadata(connection);
          const failed = metadata.topics.find((t) => t.errorCode !== 0);
          if (failed)
            throw new Error(`metadata for topic ${failed.name} failed with error ${failed.errorCode}`);
          const topics = metadata.topics.map((t) => t.name ?? '');
          const configs =
            topics.length === 0
              ? []
              : await admin.describeConfigs({
                  resources: topics.map((t) => ({
                    resourceType: ConfigResourceTypes.TOPIC,
                    resourceName: t,
                    configurationKeys: ['min.insync.replicas'],
                  })),
                });
          const minIsr = new Map(
            configs.map((c) => [
              c.resourceName,
              Number(c.configs.find((x) => x.name === 'min.insync.replicas')?.value ?? 1),
            ]),
          );
          const partitions: PartitionState[] = metadata.topics.flatMap((t) =>
            t.partitions.map((p) => ({
              topic: t.name ?? '',
              partition: p.partitionIndex,
              replicas: p.replicaNodes,
              isr: p.isrNodes,
              minIsr: minIsr.get(t.name ?? '') ?? 1,
            })),
          );
          const quorum = await describeQuorum(connection);
          return { brokers: metadata.brokers.map((b) => b.nodeId).sort((a, b) => a - b), partitions, quorum };
        });
      } finally {
        await admin.close();
      }
    },
  };
}
