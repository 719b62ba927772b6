// What Kafka says about a running cluster, for the roll's safety decisions:
// every partition (internal topics included) with its replicas, in-sync
// replicas and effective min.insync.replicas, and the KRaft quorum with
// which voters are caught up. Metadata and quorum come from the protocol
// APIs directly: the client's metadata helper leaves internal topics out,
// and __consumer_offsets must not fall below its minimum either.
import type { Connection } from '@platformatic/kafka';
import {
  Admin,
  apiVersionsV3,
  ConfigResourceTypes,
  describeQuorumV1,
  describeQuorumV2,
} from '@platformatic/kafka';
import type { PartitionState, QuorumState } from '../../domain/observed.ts';
import { newConnection, readMetadata, withConnection } from './connection.ts';
import type { KafkaClientOptions, KafkaClients } from './client-options.ts';
import type { KafkaAccess } from '../../domain/tls.ts';

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

/** How long a broker may take to answer ApiVersions on its client port before it counts as not serving. */
const servingProbeMs = 2_000;

/**
 * Whether the broker at `address` answers requests. A starting broker's port
 * is bound long before it processes requests (after its log is recovered and
 * it is unfenced), so a connection alone says nothing: the request must be answered.
 */
async function answersRequests(client: KafkaClientOptions, address: string): Promise<boolean> {
  const separator = address.lastIndexOf(':');
  const connection = newConnection(client, {
    connectTimeout: servingProbeMs,
    requestTimeout: servingProbeMs,
  });
  try {
    await connection.connect(address.slice(0, separator), Number(address.slice(separator + 1)));
    await apiVersionsV3.api.async(connection, client.clientId, '0.1.0');
    return true;
  } catch {
    return false;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

export function clusterStateActivities(kafka: KafkaClients) {
  return {
    /**
     * Partitions, quorum and registered brokers; with `probe`, also which of
     * those brokers answer requests on their client port (`serving`).
     */
    async observeKafka(input: {
      bootstrap: KafkaAccess;
      probe?: { nodeId: number; address: string }[];
    }): Promise<{
      brokers: number[];
      partitions: PartitionState[];
      quorum: QuorumState;
      serving?: number[];
    }> {
      const client = await kafka.options(input.bootstrap);
      const serving = input.probe
        ? Promise.all(
            input.probe.map(async (b) => ((await answersRequests(client, b.address)) ? [b.nodeId] : [])),
          ).then((ids) => ids.flat())
        : undefined;
      const admin = new Admin(client);
      try {
        return await withConnection(client, async (connection) => {
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
          return {
            brokers: metadata.brokers.map((b) => b.nodeId).sort((a, b) => a - b),
            partitions,
            quorum,
            ...(serving ? { serving: await serving } : {}),
          };
        });
      } finally {
        await admin.close();
      }
    },
  };
}
