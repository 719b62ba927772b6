// Reading the committed records of one partition between two offsets, for
// backups. Fetch requests go straight to the partition's leader over one
// protocol connection (no consumer group, nothing committed), read_committed:
// control records are skipped and so are records of aborted transactions,
// as a read_committed consumer would.
import { Admin, fetchV17 } from '@platformatic/kafka';
import type { StoredRecord } from '../../domain/backup.ts';
import { readCommittedFilter } from '../../domain/read-committed.ts';
import { newConnection } from './connection.ts';
import type { KafkaClientOptions } from './client-options.ts';

/** Backup fetches use their own client id, so a Kafka client quota (consumer_byte_rate) can cap them alone. */
export const backupClientId = 'keelson-backup';
const readCommitted = 1;
const logAppendTime = 0x08;

export interface PartitionRange {
  topic: string;
  partition: number;
  /** First offset to copy and the end (exclusive): the log start and last stable offsets at backup start. */
  from: string;
  to: string;
}

/** The log start and last stable offset of each partition of `topics`. */
export async function partitionRanges(
  client: KafkaClientOptions,
  topics: string[],
): Promise<PartitionRange[]> {
  if (topics.length === 0) return [];
  const admin = new Admin(client);
  try {
    const metadata = await admin.metadata({ topics, forceUpdate: true });
    const request = (timestamp: bigint) =>
      admin.listOffsets({
        isolationLevel: readCommitted,
        topics: topics.map((name) => ({
          name,
          partitions: (metadata.topics.get(name)?.partitions ?? []).map((_, partitionIndex) => ({
            partitionIndex,
            timestamp,
          })),
        })),
      });
    const [earliest, latest] = [await request(-2n), await request(-1n)];
    return earliest.flatMap((t) =>
      t.partitions.map((p) => ({
        topic: t.name,
        partition: p.partitionIndex,
        from: p.offset.toString(),
        to: (
          latest.find((l) => l.name === t.name)?.partitions.find((l) => l.partitionIndex === p.partitionIndex)
            ?.offset ?? p.offset
        ).toString(),
      })),
    );
  } finally {
    await admin.close();
  }
}

async function leaderOf(
  client: KafkaClientOptions,
  topic: string,
  partition: number,
): Promise<{ topicId: string; host: string; port: number }> {
  const admin = new Admin(client);
  try {
    const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
    const described = metadata.topics.get(topic);
    const leader = described?.partitions[partition]?.leader;
    const broker = leader === undefined ? undefined : metadata.brokers.get(leader);
    if (!described || !broker) throw new Error(`${topic}-${partition} has no leader now`);
    return { topicId: described.id, host: broker.host, port: broker.port };
  } finally {
    await admin.close();
  }
}

/**
 * Reads `range` in order and hands each record to `emit` (awaited, so a slow
 * store slows the reading, not the memory). Returns when the end is reached.
 * A lost leader or connection fails the call; the caller copies the
 * partition again from its start.
 */
export async function readPartition(
  client: KafkaClientOptions,
  range: PartitionRange,
  emit: (record: StoredRecord, bytes: number) => Promise<void>,
): Promise<void> {
  const end = BigInt(range.to);
  let next = BigInt(range.from);
  if (next >= end) return;
  const leader = await leaderOf(client, range.topic, range.partition);
  const connection = newConnection({ ...client, clientId: backupClientId });
  try {
    await connection.connect(leader.host, leader.port);
    while (next < end) {
      const response = await fetchV17.api.async(
        connection,
        500,
        1,
        8 << 20,
        readCommitted,
        0,
        -1,
        [
          {
            topicId: leader.topicId,
            partitions: [
              {
                partition: range.partition,
                currentLeaderEpoch: -1,
                fetchOffset: next,
                lastFetchedEpoch: -1,
                partitionMaxBytes: 4 << 20,
              },
            ],
          },
        ],
        [],
        '',
      );
      const fetched = response.responses[0]?.partitions[0];
      if (!fetched) throw new Error(`no answer for ${range.topic}-${range.partition}`);
      const batches = fetched.records ?? [];
      if (batches.length === 0 && fetched.lastStableOffset <= next) {
        throw new Error(
          `${range.topic}-${range.partition} ends at ${fetched.lastStableOffset}, before the ${end} seen at backup start`,
        );
      }
      // Each response lists the aborted transactions overlapping it, again for one still open at its start.
      const committed = readCommittedFilter(fetched.abortedTransactions ?? []);
      for (const batch of batches) {
        const batchEnd = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
        if (committed(batch)) {
          for (const record of batch.records) {
            const offset = batch.firstOffset + BigInt(record.offsetDelta);
            if (offset < next || offset >= end) continue;
            const timestamp =
              batch.attributes & logAppendTime
                ? batch.maxTimestamp
                : batch.firstTimestamp + record.timestampDelta;
            const bytes =
              (record.key?.length ?? 0) +
              (record.value?.length ?? 0) +
              record.headers.reduce((n, [k, v]) => n + (k?.length ?? 0) + (v?.length ?? 0), 0);
            await emit(
              {
                offset: offset.toString(),
                timestamp: timestamp.toString(),
                key: record.key?.toString('base64') ?? null,
                value: record.value?.toString('base64') ?? null,
                headers: record.headers.map(([k, v]) => [
                  k?.toString('base64') ?? '',
                  v?.toString('base64') ?? null,
                ]),
              },
              bytes,
            );
          }
        }
        if (batchEnd > next) next = batchEnd;
        if (next >= end) break;
      }
    }
  } finally {
    await connection.close().catch(() => undefined);
  }
}
