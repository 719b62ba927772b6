// The steps of a restore, each an activity of the restore workflow. Checks
// come first and change nothing (planRestore); the writes are each safe to
// repeat: topics that exist are left, ACL creation is idempotent in Kafka,
// records resume at the restored partition's end (the topic was created
// empty by this restore), offsets are set again to the same values.
import { Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { createHash } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import { Admin, Producer, ProduceAcks } from '@platformatic/kafka';
import { ApplicationFailure, heartbeat, sleep } from '@temporalio/activity';
import {
  backupFormat,
  planRestore,
  type AclBinding,
  type BackupManifest,
  type ClusterMetadataBackup,
  type GroupOffsets,
  type PartitionRecords,
  type RestorePlan,
  type StoredRecord,
  type TopicBackup,
} from '../../domain/backup.ts';
import { protocolErrorIds, readAcls, toAcl } from '../kafka/cluster-metadata.ts';
import { clientId } from '../kafka/connection.ts';
import { listBackups, storeOpener, type BackupLocation } from './backup-activities.ts';
import { parseManifest } from './backup-manifest.ts';
import { notFound, readObject, type BackupStore } from './backup-store.ts';
import { recordDigest } from './record-digest.ts';

const activeGroupStates = new Set([
  'STABLE',
  'PREPARING_REBALANCE',
  'COMPLETING_REBALANCE',
  'ASSIGNING',
  'RECONCILING',
]);

function verified(bytes: Buffer, expected: string | undefined, what: string): Buffer {
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (expected !== undefined && actual !== expected) {
    throw ApplicationFailure.nonRetryable(
      `${what} does not match its checksum in the manifest`,
      'BackupCorrupt',
    );
  }
  return bytes;
}

async function topicPartitionEnds(
  admin: Admin,
  topic: string,
  partitions: number[],
): Promise<Map<number, bigint>> {
  const [listed] = await admin.listOffsets({
    topics: [
      { name: topic, partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp: -1n })) },
    ],
  });
  return new Map((listed?.partitions ?? []).map((p) => [p.partitionIndex, p.offset]));
}

/** Reads a records object line by line; returns its sha256, record count and record digest. */
async function readRecordObject(
  store: BackupStore,
  key: string,
  onRecord: (record: StoredRecord, index: number) => void | Promise<void>,
): Promise<{ sha256: string; count: number; digest: string }> {
  const objectHash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      objectHash.update(chunk);
      done(null, chunk);
    },
  });
  const digest = recordDigest();
  const source = await store.get(key);
  const gunzip = createGunzip();
  // pipe() does not pass errors on; a failed read must end the loop below.
  source.on('error', (err) => hashing.destroy(err));
  hashing.on('error', (err) => gunzip.destroy(err));
  source.pipe(hashing).pipe(gunzip);
  let count = 0;
  let rest = '';
  const take = async (line: string) => {
    if (!line) return;
    const record = JSON.parse(line) as StoredRecord;
    digest.add(record);
    await onRecord(record, count++);
  };
  for await (const chunk of gunzip) {
    const lines = (rest + (chunk as Buffer).toString('utf8')).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) await take(line);
  }
  await take(rest);
  return { sha256: objectHash.digest('hex'), count, digest: digest.hex() };
}

export function restoreActivities(kube: KubeConfig) {
  const withStore = storeOpener(kube);
  const withAdmin = async <T>(bootstrap: string[], action: (admin: Admin) => Promise<T>): Promise<T> => {
    const admin = new Admin({ clientId, bootstrapBrokers: bootstrap });
    try {
      return await action(admin);
    } finally {
      await admin.close();
    }
  };
  return {
    /**
     * Reads the backup's manifest and metadata (checksums verified) and the
     * target's topics, brokers, authorizer and groups; refuses with every
     * problem at once when the restore cannot go ahead. Changes nothing.
     */
    async planBackupRestore(
      input: BackupLocation & { bootstrap: string[]; overwriteTopics: boolean },
    ): Promise<{ manifest: BackupManifest; metadata: ClusterMetadataBackup; plan: RestorePlan }> {
      const { manifest, metadata } = await withStore(input, async (store, keys) => {
        if (!(await store.exists(keys.manifest))) {
          const known = (await listBackups(store, input.source)).map((m) => m.id);
          throw notFound(
            `backup ${input.id} of ${input.source.namespace}/${input.source.name} is not in ${store.location} (${
              known.length > 0
                ? `backups there: ${known.slice(0, 10).join(', ')}`
                : 'no backups of that cluster there'
            })`,
          );
        }
        const read = parseManifest(
          (await readObject(store, keys.manifest)).toString('utf8'),
          keys.dir.slice(0, keys.dir.length - input.id.length - 1),
          input.id,
        );
        if ('problem' in read) {
          throw ApplicationFailure.nonRetryable(
            `backup ${input.id} cannot be restored: ${read.problem}`,
            'BackupCorrupt',
          );
        }
        const { manifest } = read;
        if (manifest.format !== backupFormat) {
          throw ApplicationFailure.nonRetryable(
            `backup ${input.id} has format ${manifest.format}; this Keelson reads format ${backupFormat}`,
            'BackupCorrupt',
          );
        }
        const expected = manifest.objects.find((o) => o.key === keys.metadata)?.sha256;
        const metadata = JSON.parse(
          verified(await readObject(store, keys.metadata), expected, `${keys.metadata}`).toString('utf8'),
        ) as ClusterMetadataBackup;
        return { manifest, metadata };
      });
      const target = await withAdmin(input.bootstrap, async (admin) => {
        const cluster = await admin.metadata({ forceUpdate: true });
        const groups = await admin.listGroups();
        return {
          topics: (await admin.listTopics()).filter((t) => !t.startsWith('__')),
          brokers: cluster.brokers.size,
          aclsSupported: (await readAcls(admin)) !== null,
          activeGroups: [...groups.values()]
            .filter((g) => activeGroupStates.has(String(g.state).toUpperCase()))
            .map((g) => g.id),
        };
      });
      const plan = planRestore(metadata, target, { overwriteTopics: input.overwriteTopics });
      if (plan.problems.length > 0) {
        throw ApplicationFailure.nonRetryable(
          `restore of ${input.id} refused, nothing changed: ${plan.problems.join('; ')}`,
          'RestoreRefused',
        );
      }
      return { manifest, metadata, plan };
    },

    /** Deletes the topics the user asked to overwrite and waits until Kafka no longer lists them. */
    async deleteTopicsForRestore(input: { bootstrap: string[]; topics: string[] }): Promise<void> {
      await withAdmin(input.bootstrap, async (admin) => {
        const existing = await admin.listTopics();
        const topics = input.topics.filter((t) => existing.includes(t));
        if (topics.length > 0) await admin.deleteTopics({ topics });
        for (;;) {
          const left = (await admin.listTopics()).filter((t) => input.topics.includes(t));
          heartbeat({ left });
          if (left.length === 0) return;
          await sleep(500);
        }
      });
    },

    /** Creates each topic with its partitions, replication factor and configs, and waits until every partition has a leader. */
    async createTopicsForRestore(input: { bootstrap: string[]; topics: TopicBackup[] }): Promise<string[]> {
      return withAdmin(input.bootstrap, async (admin) => {
        const existing = new Set(await admin.listTopics());
        const created: string[] = [];
        for (const topic of input.topics) {
          // A topic that exists here was created by an earlier attempt of this
          // step: the plan refused (or deleted) any the target had before.
          if (existing.has(topic.name)) continue;
          await admin.createTopics({
            topics: [topic.name],
            partitions: topic.partitions,
            replicas: topic.replicationFactor,
            configs: Object.entries(topic.configs).map(([name, value]) => ({ name, value })),
          });
          created.push(topic.name);
        }
        const names = input.topics.map((t) => t.name);
        for (;;) {
          const metadata = await admin.metadata({ topics: names, forceUpdate: true }).catch(() => undefined);
          const waiting = names.filter((name) => {
            const parts = metadata?.topics.get(name)?.partitions ?? [];
            const want = input.topics.find((t) => t.name === name)?.partitions ?? 0;
            return parts.length < want || parts.some((p) => p.leader < 0);
          });
          heartbeat({ waiting });
          if (waiting.length === 0) return created;
          await sleep(500);
        }
      });
    },

    /**
     * Produces each partition's records, in order, into the same partition
     * (acks=all, idempotent), keeping keys, values, headers and timestamps,
     * and checks every record against the backup's digest. A partition that
     * already holds records (an earlier attempt) resumes after them. Returns,
     * for each committed offset asked about, the restored offset it maps to.
     */
    async restoreRecords(
      input: BackupLocation & {
        bootstrap: string[];
        partitions: PartitionRecords[];
        objects: { key: string; sha256: string }[];
        /** Committed offsets (original) to translate, by "topic/partition". */
        committed: Record<string, string[]>;
      },
    ): Promise<{ records: number; translated: Record<string, Record<string, number>> }> {
      const producer = new Producer({
        clientId,
        bootstrapBrokers: input.bootstrap,
        idempotent: true,
        acks: ProduceAcks.ALL,
        retries: 10,
      });
      const admin = new Admin({ clientId, bootstrapBrokers: input.bootstrap });
      let produced = 0;
      const translated: Record<string, Record<string, number>> = {};
      try {
        await withStore(input, async (store) => {
          for (const part of input.partitions) {
            const name = `${part.topic}/${part.partition}`;
            const restoredAlready = Number(
              (await topicPartitionEnds(admin, part.topic, [part.partition])).get(part.partition) ?? 0n,
            );
            const wanted = (input.committed[name] ?? [])
              .map(BigInt)
              .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
            // First pass: the object must match the manifest before anything of it is written.
            // Restored records get new offsets (a new topic starts at 0; compaction and
            // retention leave gaps in the originals). A committed offset names the next
            // record to read, so it maps to the number of records whose original offset is below it.
            const mapping: Record<string, number> = {};
            const checked = await readRecordObject(store, part.key, (record, index) => {
              // Reading a large object takes longer than the heartbeat timeout.
              if (index % 1000 === 0) heartbeat({ partition: name, verified: index });
              const original = BigInt(record.offset);
              while (wanted.length > 0 && (wanted[0] as bigint) <= original)
                mapping[String(wanted.shift())] = index;
            });
            for (const offset of wanted) mapping[String(offset)] = checked.count;
            const expected = input.objects.find((o) => o.key === part.key)?.sha256;
            if (
              checked.sha256 !== expected ||
              checked.count !== part.records ||
              checked.digest !== part.contentSha256
            ) {
              throw ApplicationFailure.nonRetryable(
                `${part.key} does not match the manifest (checksum, ${part.records} records or their digest)`,
                'BackupCorrupt',
              );
            }
            // Second pass: produce what the partition does not hold yet.
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
              heartbeat({ partition: name, produced });
            };
            await readRecordObject(store, part.key, async (record, index) => {
              if (index < restoredAlready) {
                if (index % 1000 === 0) heartbeat({ partition: name, skipped: index });
                return;
              }
              batch.push(record);
              if (batch.length >= 500) await flush();
            });
            await flush();
            translated[name] = mapping;
          }
        });
        return { records: produced, translated };
      } finally {
        await producer.close();
        await admin.close();
      }
    },

    async restoreAcls(input: { bootstrap: string[]; acls: AclBinding[] }): Promise<number> {
      if (input.acls.length === 0) return 0;
      await withAdmin(input.bootstrap, (admin) => admin.createAcls({ creations: input.acls.map(toAcl) }));
      return input.acls.length;
    },

    /** Sets each group's committed offsets (the group must have no active members, checked by the plan). */
    async restoreGroupOffsets(input: { bootstrap: string[]; groups: GroupOffsets[] }): Promise<number> {
      let set = 0;
      await withAdmin(input.bootstrap, async (admin) => {
        for (const group of input.groups) {
          const byTopic = new Map<string, { partition: number; offset: bigint }[]>();
          for (const o of group.offsets) {
            byTopic.set(o.topic, [
              ...(byTopic.get(o.topic) ?? []),
              { partition: o.partition, offset: BigInt(o.offset) },
            ]);
          }
          try {
            await admin.alterConsumerGroupOffsets({
              groupId: group.groupId,
              topics: [...byTopic].map(([name, partitionOffsets]) => ({ name, partitionOffsets })),
            });
          } catch (err) {
            if (protocolErrorIds(err).includes('UNKNOWN_MEMBER_ID')) {
              throw ApplicationFailure.nonRetryable(
                `consumer group ${group.groupId} became active in the target during the restore; its offsets were not set`,
                'RestoreRefused',
              );
            }
            throw err;
          }
          set += group.offsets.length;
        }
      });
      return set;
    },
  };
}
