// Writing a backup's records and group offsets into the target, the last
// writes of a restore (the plan and verifyBackupObjects have checked every
// object already). Each partition's object is read once: records the
// partition does not hold yet are produced into the same partition (acks=all,
// idempotent; keys, values, headers and timestamps kept; a retried step
// resumes after the records an earlier attempt wrote), and the original
// offsets feed the translation of committed offsets. The object is compared
// with the manifest again as it is read: a store changed since it was checked
// fails the step (BackupCorrupt) on the topic this restore created. Then each
// group's offsets are set, translated onto the restored records.
import { Admin, Producer, ProduceAcks } from '@platformatic/kafka';
import { heartbeat } from '@temporalio/activity';
import type {
  BackupManifest,
  ClusterMetadataBackup,
  PartitionRecords,
  StoredRecord,
} from '../../domain/backup.ts';
import { offsetTranslator } from '../../domain/offset-translation.ts';
import { protocolErrorIds } from '../kafka/cluster-metadata.ts';
import type { KafkaClientOptions } from '../kafka/client-options.ts';
import type { BackupStore } from './backup-store.ts';
import { corrupt, readRecordObject } from './verified-backup.ts';
import { failure } from '../../domain/failures.ts';

export interface RestoredRecords {
  records: number;
  groups: number;
  offsets: number;
  /** Committed offsets not restored (the first 50): their topic's records are not in the backup, so they would point past its end. */
  offsetsSkipped: { group: string; topic: string; partitions: number }[];
}

/** Restored offset of each committed offset, by "topic/partition". */
type Translated = Map<string, Map<bigint, number>>;

const partitionName = (p: { topic: string; partition: number }): string => `${p.topic}/${p.partition}`;

export async function restoreRecords(
  store: BackupStore,
  input: { id: string; client: KafkaClientOptions },
  manifest: BackupManifest,
  metadata: ClusterMetadataBackup,
): Promise<RestoredRecords> {
  const committed = new Map<string, bigint[]>();
  for (const group of metadata.groups)
    for (const o of group.offsets)
      committed.set(partitionName(o), [...(committed.get(partitionName(o)) ?? []), BigInt(o.offset)]);
  const checksums = new Map(manifest.objects.map((o) => [o.key, o.sha256]));
  const producer = new Producer({
    ...input.client,
    idempotent: true,
    acks: ProduceAcks.ALL,
    retries: 10,
  });
  const admin = new Admin(input.client);
  const translated: Translated = new Map();
  let records = 0;
  try {
    for (const [index, part] of manifest.partitions.entries()) {
      const produced = await restorePartition(store, producer, admin, part, {
        id: input.id,
        sha256: checksums.get(part.key),
        committed: committed.get(partitionName(part)) ?? [],
        progress: (details) => heartbeat({ partition: index, of: manifest.partitions.length, ...details }),
      });
      records += produced.records;
      translated.set(partitionName(part), produced.translated);
    }
  } finally {
    await producer.close();
    await admin.close();
  }
  return { records, ...(await restoreGroupOffsets(input.client, metadata, translated)) };
}

/** Produces what one partition does not hold yet, and translates its committed offsets. */
async function restorePartition(
  store: BackupStore,
  producer: Producer,
  admin: Admin,
  part: PartitionRecords,
  context: {
    id: string;
    sha256: string | undefined;
    committed: bigint[];
    progress: (details: Record<string, number>) => void;
  },
): Promise<{ records: number; translated: Map<bigint, number> }> {
  const [listed] = await admin.listOffsets({
    topics: [{ name: part.topic, partitions: [{ partitionIndex: part.partition, timestamp: -1n }] }],
  });
  const restoredAlready = Number(listed?.partitions[0]?.offset ?? 0n);
  const translator = offsetTranslator(context.committed);
  let produced = 0;
  let batch: StoredRecord[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await producer.send({
      acks: ProduceAcks.ALL,
      messages: batch.map((r) => ({
        topic: part.topic,
        partition: part.partition,
        timestamp: BigInt(r.timestamp),
        ...(r.key === null ? {} : { key: Buffer.from(r.key, 'base64') }),
        ...(r.value === null ? {} : { value: Buffer.from(r.value, 'base64') }),
        headers: new Map(
          r.headers.map(([k, v]) => [
            Buffer.from(k, 'base64'),
            v === null ? Buffer.alloc(0) : Buffer.from(v, 'base64'),
          ]),
        ),
      })),
    });
    produced += batch.length;
    batch = [];
    context.progress({ produced });
  };
  const read = await readRecordObject(store, part.key, async (record, index) => {
    translator.record(BigInt(record.offset), index);
    if (index < restoredAlready) {
      // Written by an earlier attempt; reading a large object takes longer than the heartbeat timeout.
      if (index % 1000 === 0) context.progress({ skipped: index });
      return;
    }
    batch.push(record);
    if (batch.length >= 500) await flush();
  });
  await flush();
  if (read.sha256 !== context.sha256 || read.count !== part.records || read.digest !== part.contentSha256) {
    throw corrupt(
      context.id,
      `${part.key} changed in the store since it was checked (checksum, ${part.records} records or their digest)`,
    );
  }
  return { records: produced, translated: translator.finish(read.count) };
}

/** Sets each group's committed offsets on the restored partitions; offsets of partitions without records are left out. */
async function restoreGroupOffsets(
  client: KafkaClientOptions,
  metadata: ClusterMetadataBackup,
  translated: Translated,
): Promise<Omit<RestoredRecords, 'records'>> {
  const offsetsSkipped: RestoredRecords['offsetsSkipped'] = [];
  let groups = 0;
  let offsets = 0;
  const admin = new Admin(client);
  try {
    for (const group of metadata.groups) {
      const byTopic = new Map<string, { partition: number; offset: bigint }[]>();
      const skipped = new Map<string, number>();
      for (const o of group.offsets) {
        const mapped = translated.get(partitionName(o))?.get(BigInt(o.offset));
        if (mapped === undefined) {
          skipped.set(o.topic, (skipped.get(o.topic) ?? 0) + 1);
          continue;
        }
        byTopic.set(o.topic, [
          ...(byTopic.get(o.topic) ?? []),
          { partition: o.partition, offset: BigInt(mapped) },
        ]);
      }
      for (const [topic, partitions] of skipped)
        if (offsetsSkipped.length < 50) offsetsSkipped.push({ group: group.groupId, topic, partitions });
      if (byTopic.size === 0) continue;
      heartbeat({ group: groups });
      try {
        await admin.alterConsumerGroupOffsets({
          groupId: group.groupId,
          topics: [...byTopic].map(([name, partitionOffsets]) => ({ name, partitionOffsets })),
        });
      } catch (err) {
        if (protocolErrorIds(err).includes('UNKNOWN_MEMBER_ID')) {
          throw failure(
            'RestoreRefused',
            `consumer group ${group.groupId} became active in the target during the restore; its offsets were not set`,
          );
        }
        throw err;
      }
      groups++;
      offsets += [...byTopic.values()].reduce((n, list) => n + list.length, 0);
    }
  } finally {
    await admin.close();
  }
  return { groups, offsets, offsetsSkipped };
}
