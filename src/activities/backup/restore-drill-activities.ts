// What a restore drill checks once the backup is restored into its scratch
// cluster: every partition of the backup starts at 0 and ends at its record
// count, and its records read back (read_committed, as a consumer would)
// give the digest in the manifest; every committed group offset of those
// partitions is there and inside the partition. Reads only.
import type { KubeConfig } from '@kubernetes/client-node';
import { Admin } from '@platformatic/kafka';
import { heartbeat } from '@temporalio/activity';
import type { BackupPolicy } from '../../domain/backup-policy.ts';
import { kafkaClients } from '../kafka/client-options.ts';
import type { KafkaAccess } from '../../domain/tls.ts';
import { readPartition } from '../kafka/partition-records.ts';
import { listBackups, storeOpener, type BackupLocation } from './backup-activities.ts';
import { recordDigest } from './record-digest.ts';
import { readVerifiedBackup } from './verified-backup.ts';
import { failure } from '../../domain/failures.ts';

/** At most this many problems are reported (the first ones); the count says how many there were. */
const reportedProblems = 20;

export function restoreDrillActivities(kube: KubeConfig, policy: BackupPolicy) {
  const withStore = storeOpener(kube, policy);
  const kafka = kafkaClients(kube);
  return {
    /** The id of the cluster's newest complete backup. */
    async newestBackup(input: Omit<BackupLocation, 'id'>): Promise<string> {
      return withStore({ ...input, id: '' }, async (store) => {
        const [newest] = await listBackups(store, input.source);
        if (!newest) {
          throw failure(
            'BackupNotFound',
            `there is no complete backup of ${input.source.namespace}/${input.source.name} in ${store.location} to drill`,
          );
        }
        return newest.id;
      });
    },

    /** Compares the restored partitions and group offsets in `bootstrap` with the backup; fails listing what differs. */
    async verifyRestoredBackup(
      input: BackupLocation & { bootstrap: KafkaAccess },
    ): Promise<{ partitions: number; records: number; offsets: number }> {
      const { manifest, metadata } = await withStore(input, (store, keys) =>
        readVerifiedBackup(store, keys, input.id),
      );
      const problems: string[] = [];
      const client = await kafka.options(input.bootstrap);
      const admin = new Admin(client);
      let records = 0;
      let offsets = 0;
      try {
        const byTopic = new Map<string, number[]>();
        for (const p of manifest.partitions)
          byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
        const listOffsets = (timestamp: bigint) =>
          admin.listOffsets({
            topics: [...byTopic].map(([name, partitions]) => ({
              name,
              partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp })),
            })),
          });
        const [starts, ends] =
          manifest.partitions.length > 0 ? [await listOffsets(-2n), await listOffsets(-1n)] : [[], []];
        const offsetOf = (list: typeof starts, topic: string, partition: number) =>
          list.find((t) => t.name === topic)?.partitions.find((p) => p.partitionIndex === partition)?.offset;
        for (const [index, part] of manifest.partitions.entries()) {
          heartbeat({ partition: index, of: manifest.partitions.length });
          const name = `${part.topic}-${part.partition}`;
          const start = offsetOf(starts, part.topic, part.partition);
          const end = offsetOf(ends, part.topic, part.partition);
          if (start !== 0n || end !== BigInt(part.records)) {
            problems.push(`${name} holds offsets ${start ?? '?'} to ${end ?? '?'}, not 0 to ${part.records}`);
            continue;
          }
          const digest = recordDigest();
          let count = 0;
          await readPartition(
            client,
            { topic: part.topic, partition: part.partition, from: '0', to: String(part.records) },
            async (record) => {
              digest.add(record);
              if (++count % 1000 === 0)
                heartbeat({ partition: index, of: manifest.partitions.length, records: count });
            },
          );
          if (count !== part.records || digest.hex() !== part.contentSha256) {
            problems.push(
              `${name}: the records read back differ from the backup's (${count} of ${part.records}, digest)`,
            );
            continue;
          }
          records += count;
        }
        const withRecords = new Map(manifest.partitions.map((p) => [`${p.topic}/${p.partition}`, p.records]));
        const groups = metadata.groups.filter((g) =>
          g.offsets.some((o) => withRecords.has(`${o.topic}/${o.partition}`)),
        );
        const restored =
          groups.length > 0
            ? await admin.listConsumerGroupOffsets({ groups: groups.map((g) => g.groupId) })
            : [];
        for (const group of groups) {
          const committed = restored.find((g) => g.groupId === group.groupId);
          for (const o of group.offsets) {
            const count = withRecords.get(`${o.topic}/${o.partition}`);
            if (count === undefined) continue;
            const offset = committed?.topics
              .find((t) => t.name === o.topic)
              ?.partitions.find((p) => p.partitionIndex === o.partition)?.committedOffset;
            if (offset === undefined || offset < 0n || offset > BigInt(count)) {
              problems.push(
                `group ${group.groupId} has ${offset ?? 'no'} offset on ${o.topic}-${o.partition} (0 to ${count} expected)`,
              );
              continue;
            }
            offsets++;
          }
        }
      } finally {
        await admin.close();
      }
      if (problems.length > 0) {
        throw failure(
          'RestoreDrillMismatch',
          `the restored backup ${input.id} differs from it in ${problems.length} place(s): ${problems.slice(0, reportedProblems).join('; ')}`,
        );
      }
      return { partitions: manifest.partitions.length, records, offsets };
    },
  };
}
