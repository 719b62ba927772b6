// The steps of a restore, each an activity of the restore workflow. Checks
// come first and change nothing: the plan (the target can take the backup),
// then every object of the backup read and compared with its checksum, so a
// missing or corrupt object is found before a topic is replaced. The writes
// are each safe to repeat: topics that exist are left, ACL creation is
// idempotent in Kafka, records resume at the restored partition's end (the
// topic was created empty by this restore), offsets are set again to the
// same values. Each step reads the manifest and metadata from the store
// (checked against the manifest's checksum taken by the plan): the lists in
// them grow with the backup, and Temporal's payloads are bounded.
import { Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { createHash } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import { Admin, Producer, ProduceAcks } from '@platformatic/kafka';
import { ApplicationFailure, heartbeat, sleep } from '@temporalio/activity';
import {
  backupFormat,
  planRestore,
  type backupKeys,
  type BackupManifest,
  type ClusterMetadataBackup,
  type StoredRecord,
} from '../../domain/backup.ts';
import type { BackupPolicy } from '../../domain/backup-policy.ts';
import { protocolErrorIds, readAcls, toAcl } from '../kafka/cluster-metadata.ts';
import { clientId } from '../kafka/connection.ts';
import { listBackups, storeOpener, type BackupLocation } from './backup-activities.ts';
import { parseManifest, parseMetadata } from './backup-manifest.ts';
import { notFound, readObject, type BackupStore } from './backup-store.ts';
import { recordDigest } from './record-digest.ts';

const activeGroupStates = new Set([
  'STABLE',
  'PREPARING_REBALANCE',
  'COMPLETING_REBALANCE',
  'ASSIGNING',
  'RECONCILING',
]);

const corrupt = (id: string, problem: string): ApplicationFailure =>
  ApplicationFailure.nonRetryable(`backup ${id} cannot be restored: ${problem}`, 'BackupCorrupt');

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** At most `limit` names, then how many more: for messages and results that must stay small. */
export function someOf(names: readonly string[], limit = 50): string[] {
  return names.length <= limit
    ? [...names]
    : [...names.slice(0, limit), `… and ${names.length - limit} more`];
}

interface VerifiedBackup {
  manifest: BackupManifest;
  metadata: ClusterMetadataBackup;
  /** The manifest's own checksum: later steps of a restore check they read the manifest the plan read. */
  manifestSha256: string;
}

/**
 * A backup's manifest and metadata, read from the store as untrusted input:
 * both parsed with zod, the format known, metadata.json listed in the manifest
 * and matching its checksum, every partition's records object listed.
 */
export async function readVerifiedBackup(
  store: BackupStore,
  keys: ReturnType<typeof backupKeys>,
  id: string,
  expectedManifestSha256?: string,
): Promise<VerifiedBackup> {
  const manifestBytes = await readObject(store, keys.manifest);
  const manifestSha256 = sha256(manifestBytes);
  if (expectedManifestSha256 !== undefined && manifestSha256 !== expectedManifestSha256)
    throw corrupt(id, 'its manifest changed while it was being restored');
  const read = parseManifest(manifestBytes.toString('utf8'), keys.clusterDir, id);
  if ('problem' in read) throw corrupt(id, read.problem);
  const { manifest } = read;
  if (manifest.format !== backupFormat) {
    throw ApplicationFailure.nonRetryable(
      `backup ${id} has format ${manifest.format}; this Keelson reads format ${backupFormat}`,
      'BackupCorrupt',
    );
  }
  const listed = new Map(manifest.objects.map((o) => [o.key, o]));
  const metadataObject = listed.get(keys.metadata);
  if (!metadataObject) throw corrupt(id, 'its manifest does not list metadata.json with a checksum');
  const unlisted = manifest.partitions.filter((p) => !listed.has(p.key));
  if (unlisted.length > 0)
    throw corrupt(
      id,
      `its manifest does not list the object of ${unlisted[0]?.topic}-${unlisted[0]?.partition}`,
    );
  const metadataBytes = await readObject(store, keys.metadata).catch((err: unknown) => {
    throw err instanceof ApplicationFailure && err.type === 'BackupNotFound'
      ? corrupt(id, 'metadata.json is missing')
      : err;
  });
  if (sha256(metadataBytes) !== metadataObject.sha256 || metadataBytes.length !== metadataObject.bytes)
    throw corrupt(id, `${keys.metadata} does not match its checksum in the manifest`);
  const parsed = parseMetadata(metadataBytes.toString('utf8'));
  if ('problem' in parsed) throw corrupt(id, parsed.problem);
  return { manifest, metadata: parsed.metadata, manifestSha256 };
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
): Promise<{ sha256: string; bytes: number; count: number; digest: string }> {
  const objectHash = createHash('sha256');
  let bytes = 0;
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      objectHash.update(chunk);
      bytes += chunk.length;
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
  return { sha256: objectHash.digest('hex'), bytes, count, digest: digest.hex() };
}

export function restoreActivities(kube: KubeConfig, policy: BackupPolicy) {
  const withStore = storeOpener(kube, policy);
  const withAdmin = async <T>(bootstrap: string[], action: (admin: Admin) => Promise<T>): Promise<T> => {
    const admin = new Admin({ clientId, bootstrapBrokers: bootstrap });
    try {
      return await action(admin);
    } finally {
      await admin.close();
    }
  };
  /** A later step's view of the backup: the one the plan checked. */
  type Planned = BackupLocation & { bootstrap: string[]; manifestSha256: string };
  const readPlanned = (input: Planned) =>
    withStore(input, (store, keys) => readVerifiedBackup(store, keys, input.id, input.manifestSha256));

  return {
    /**
     * Reads the backup's manifest and metadata (checked) and the target's
     * topics, brokers, authorizer and groups; refuses with every problem at
     * once when the restore cannot go ahead. Changes nothing.
     */
    async planBackupRestore(
      input: BackupLocation & { bootstrap: string[]; overwriteTopics: boolean },
    ): Promise<{
      manifestSha256: string;
      topics: number;
      /** The target's topics the restore replaces (a sample when there are many), and how many. */
      overwrite: string[];
      overwriteCount: number;
      partitions: number;
      records: number;
      recordTopics: string[];
      brokerConfigs: Record<string, string>;
    }> {
      const { manifest, metadata, manifestSha256 } = await withStore(input, async (store, keys) => {
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
        return readVerifiedBackup(store, keys, input.id);
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
          `restore of ${input.id} refused, nothing changed: ${plan.problems.join('; ')}`.slice(0, 4000),
          'RestoreRefused',
        );
      }
      return {
        manifestSha256,
        topics: metadata.topics.length,
        overwrite: someOf(plan.overwrite),
        overwriteCount: plan.overwrite.length,
        partitions: manifest.partitions.length,
        records: manifest.contents.records,
        recordTopics: someOf(manifest.contents.recordTopics),
        brokerConfigs: metadata.brokerConfigs,
      };
    },

    /**
     * Reads every object of the backup and compares it with the manifest:
     * present, its size and sha256, and for records their count and digest.
     * Runs before anything in the target changes, so a backup that cannot be
     * restored whole is refused while the target is untouched.
     */
    async verifyBackupObjects(input: Planned): Promise<{ objects: number; bytes: number }> {
      return withStore(input, async (store, keys) => {
        const { manifest } = await readVerifiedBackup(store, keys, input.id, input.manifestSha256);
        const partitions = new Map(manifest.partitions.map((p) => [p.key, p]));
        let bytes = 0;
        for (const [index, object] of manifest.objects.entries()) {
          heartbeat({ verified: index, of: manifest.objects.length });
          if (object.key === keys.metadata) continue; // checked by readVerifiedBackup
          const part = partitions.get(object.key);
          const read = await (async () => {
            try {
              if (!part) {
                const whole = await readObject(store, object.key);
                return { sha256: sha256(whole), bytes: whole.length };
              }
              return await readRecordObject(store, object.key, (_, i) => {
                if (i % 10_000 === 0) heartbeat({ verified: index, of: manifest.objects.length, records: i });
              });
            } catch (err) {
              if (err instanceof ApplicationFailure && err.type === 'BackupNotFound')
                throw corrupt(input.id, `${object.key} is missing from the store`);
              if (err instanceof ApplicationFailure) throw err;
              throw corrupt(input.id, `${object.key} cannot be read: ${(err as Error).message}`);
            }
          })();
          if (read.sha256 !== object.sha256 || read.bytes !== object.bytes)
            throw corrupt(input.id, `${object.key} does not match its checksum in the manifest`);
          if (
            part &&
            ('count' in read ? read.count !== part.records || read.digest !== part.contentSha256 : true)
          )
            throw corrupt(
              input.id,
              `${object.key} does not hold the ${part.records} records the manifest lists`,
            );
          bytes += object.bytes;
        }
        return { objects: manifest.objects.length, bytes };
      });
    },

    /** Deletes the backup's topics that the target has (the user asked to overwrite them) and waits until Kafka no longer lists them. */
    async deleteTopicsForRestore(input: Planned): Promise<void> {
      const { metadata } = await readPlanned(input);
      const names = new Set(metadata.topics.map((t) => t.name));
      await withAdmin(input.bootstrap, async (admin) => {
        const topics = (await admin.listTopics()).filter((t) => names.has(t));
        if (topics.length > 0) await admin.deleteTopics({ topics });
        for (;;) {
          const left = (await admin.listTopics()).filter((t) => names.has(t)).length;
          heartbeat({ left });
          if (left === 0) return;
          await sleep(500);
        }
      });
    },

    /** Creates each topic of the backup with its partitions, replication factor and configs, and waits until every partition has a leader. */
    async createTopicsForRestore(input: Planned): Promise<number> {
      const { metadata } = await readPlanned(input);
      return withAdmin(input.bootstrap, async (admin) => {
        const existing = new Set(await admin.listTopics());
        let created = 0;
        for (const topic of metadata.topics) {
          // A topic that exists here was created by an earlier attempt of this
          // step: the plan refused (or deleted) any the target had before.
          if (existing.has(topic.name)) continue;
          await admin.createTopics({
            topics: [topic.name],
            partitions: topic.partitions,
            replicas: topic.replicationFactor,
            configs: Object.entries(topic.configs).map(([name, value]) => ({ name, value })),
          });
          created++;
        }
        const names = metadata.topics.map((t) => t.name);
        for (;;) {
          const described = await admin.metadata({ topics: names, forceUpdate: true }).catch(() => undefined);
          const waiting = metadata.topics.filter((t) => {
            const parts = described?.topics.get(t.name)?.partitions ?? [];
            return parts.length < t.partitions || parts.some((p) => p.leader < 0);
          }).length;
          heartbeat({ waiting });
          if (waiting === 0) return created;
          await sleep(500);
        }
      });
    },

    /**
     * Produces each partition's records, in order, into the same partition
     * (acks=all, idempotent), keeping keys, values, headers and timestamps,
     * and checks every record against the backup's digest. A partition that
     * already holds records (an earlier attempt) resumes after them. Then
     * sets each group's committed offsets on those partitions, translated
     * onto the restored records (a group must have no active members,
     * checked by the plan).
     */
    async restoreRecordsAndOffsets(input: Planned): Promise<{
      records: number;
      groups: number;
      offsets: number;
      /** Committed offsets not restored: their topic's records are not in the backup, so they would point past its end. */
      offsetsSkipped: { group: string; topic: string; partitions: number }[];
    }> {
      const { manifest, metadata } = await readPlanned(input);
      const withRecords = new Set(manifest.partitions.map((p) => `${p.topic}/${p.partition}`));
      const committed = new Map<string, bigint[]>();
      for (const group of metadata.groups)
        for (const o of group.offsets)
          if (withRecords.has(`${o.topic}/${o.partition}`))
            committed.set(`${o.topic}/${o.partition}`, [
              ...(committed.get(`${o.topic}/${o.partition}`) ?? []),
              BigInt(o.offset),
            ]);
      const objects = new Map(manifest.objects.map((o) => [o.key, o.sha256]));
      const producer = new Producer({
        clientId,
        bootstrapBrokers: input.bootstrap,
        idempotent: true,
        acks: ProduceAcks.ALL,
        retries: 10,
      });
      const admin = new Admin({ clientId, bootstrapBrokers: input.bootstrap });
      let produced = 0;
      const translated = new Map<string, Map<bigint, number>>();
      try {
        await withStore(input, async (store) => {
          for (const [index, part] of manifest.partitions.entries()) {
            const name = `${part.topic}/${part.partition}`;
            const at = { partition: index, of: manifest.partitions.length };
            const restoredAlready = Number(
              (await topicPartitionEnds(admin, part.topic, [part.partition])).get(part.partition) ?? 0n,
            );
            const wanted = [...(committed.get(name) ?? [])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
            // First pass: the object must match the manifest before anything of it is written
            // (it did when the restore began; this catches a change since).
            // Restored records get new offsets (a new topic starts at 0; compaction, aborted
            // transactions and retention leave gaps in the originals). A committed offset names
            // the next record to read, so it maps to the number of records whose original offset is below it.
            const mapping = new Map<bigint, number>();
            const checked = await readRecordObject(store, part.key, (record, i) => {
              // Reading a large object takes longer than the heartbeat timeout.
              if (i % 1000 === 0) heartbeat({ ...at, verified: i });
              const original = BigInt(record.offset);
              while (wanted.length > 0 && (wanted[0] as bigint) <= original)
                mapping.set(wanted.shift() as bigint, i);
            });
            for (const offset of wanted) mapping.set(offset, checked.count);
            if (
              checked.sha256 !== objects.get(part.key) ||
              checked.count !== part.records ||
              checked.digest !== part.contentSha256
            ) {
              throw corrupt(
                input.id,
                `${part.key} does not match the manifest (checksum, ${part.records} records or their digest)`,
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
              heartbeat({ ...at, produced });
            };
            await readRecordObject(store, part.key, async (record, i) => {
              if (i < restoredAlready) {
                if (i % 1000 === 0) heartbeat({ ...at, skipped: i });
                return;
              }
              batch.push(record);
              if (batch.length >= 500) await flush();
            });
            await flush();
            translated.set(name, mapping);
          }
        });
      } finally {
        await producer.close();
        await admin.close();
      }
      const offsetsSkipped: { group: string; topic: string; partitions: number }[] = [];
      let groups = 0;
      let offsets = 0;
      for (const group of metadata.groups) {
        const byTopic = new Map<string, { partition: number; offset: bigint }[]>();
        const skipped = new Map<string, number>();
        for (const o of group.offsets) {
          const mapped = translated.get(`${o.topic}/${o.partition}`)?.get(BigInt(o.offset));
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
        await withAdmin(input.bootstrap, async (groupAdmin) => {
          try {
            await groupAdmin.alterConsumerGroupOffsets({
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
        });
        groups++;
        offsets += [...byTopic.values()].reduce((n, list) => n + list.length, 0);
      }
      return { records: produced, groups, offsets, offsetsSkipped };
    },

    async restoreAcls(input: Planned): Promise<number> {
      const { metadata } = await readPlanned(input);
      const acls = metadata.acls ?? [];
      if (acls.length === 0) return 0;
      await withAdmin(input.bootstrap, (admin) => admin.createAcls({ creations: acls.map(toAcl) }));
      return acls.length;
    },
  };
}
