// The steps of a backup, each an activity of the backup workflow: capture the
// metadata, copy the records, commit the manifest (the catalog entry; written
// last, so a backup cut short never looks complete), prune, or discard what a
// failed backup wrote. Lists that grow with the partitions (which to copy,
// which are copied) are kept in the store, never in an activity's input,
// result or heartbeat: Temporal bounds its payloads (2 MB), a backup's
// partitions are not bounded. A copy taken over by another worker starts
// after the partitions recorded as copied.
import { kafkaClients, type KafkaClientOptions } from '../kafka/client-options.ts';
import type { KafkaAccess } from '../../domain/tls.ts';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import type { KubeConfig } from '@kubernetes/client-node';
import { heartbeat } from '@temporalio/activity';
import {
  abandonedBackups,
  backupFormat,
  backupKeys,
  copiedChunkSize,
  clusterPrefix,
  expiredBackups,
  parseBackupId,
  selectRecordTopics,
  type BackupManifest,
  type PartitionRecords,
  type StoredObject,
} from '../../domain/backup.ts';
import type { BackupPolicy } from '../../domain/backup-policy.ts';
import { readClusterMetadata } from '../kafka/cluster-metadata.ts';
import { partitionRanges, readPartition, type PartitionRange } from '../kafka/partition-records.ts';
import { openBackupStore, readObject, type BackupStore, type BackupTarget } from './backup-store.ts';
import { parseManifest } from './backup-manifest.ts';
import { recordDigest } from './record-digest.ts';
import { failure } from '../../domain/failures.ts';

export interface BackupLocation {
  /** The namespace of the cluster whose spec names the target (its Secret holds the credentials). */
  namespace: string;
  target: BackupTarget;
  /** The cluster the backup is of, and its id. */
  source: { namespace: string; name: string };
  id: string;
}

/** Opens the store a location names, runs `action` with it and the backup's keys, and closes it. */
export function storeOpener(kube: KubeConfig, policy: BackupPolicy) {
  return async <T>(
    location: BackupLocation,
    action: (store: BackupStore, keys: ReturnType<typeof backupKeys>) => Promise<T>,
  ): Promise<T> => {
    const store = await openBackupStore(kube, location.namespace, location.target, policy);
    try {
      const dir = clusterPrefix(store.prefix, location.source.namespace, location.source.name);
      return await action(store, backupKeys(dir, location.id));
    } finally {
      store.close();
    }
  };
}

interface CopiedPartition {
  partition: PartitionRecords;
  object: StoredObject;
}

/** The partitions a running backup copies; written by this Keelson a moment ago, so trusted. */
async function readRanges(
  store: BackupStore,
  key: string,
): Promise<{ recordTopics: string[]; ranges: PartitionRange[] }> {
  return JSON.parse((await readObject(store, key)).toString('utf8')) as {
    recordTopics: string[];
    ranges: PartitionRange[];
  };
}

/** The partitions copied so far, in the order of work/ranges.json, and the number of objects they are in. */
async function readCopied(
  store: BackupStore,
  keys: ReturnType<typeof backupKeys>,
): Promise<{ copied: CopiedPartition[]; chunks: number }> {
  const copied: CopiedPartition[] = [];
  let chunks = 0;
  for (; await store.exists(keys.copied(chunks)); chunks++) {
    const text = (await readObject(store, keys.copied(chunks))).toString('utf8');
    copied.push(...(JSON.parse(text) as CopiedPartition[]));
  }
  return { copied, chunks };
}

async function copyPartition(
  store: BackupStore,
  key: string,
  client: KafkaClientOptions,
  range: PartitionRange,
  budget: { remaining: number; limit: string },
  progress: () => void,
): Promise<CopiedPartition> {
  const gzip = createGzip();
  const upload = store.put(key, gzip);
  const digest = recordDigest();
  let records = 0;
  let recordBytes = 0;
  let firstOffset: string | undefined;
  try {
    await readPartition(client, range, async (record, bytes) => {
      recordBytes += bytes;
      if (recordBytes > budget.remaining) {
        throw failure(
          'BackupTooLarge',
          `the records to back up exceed spec.backup.records.maxBytes (${budget.limit}) at ${range.topic}-${range.partition}; raise the limit or back up fewer topics`,
        );
      }
      firstOffset ??= record.offset;
      records++;
      digest.add(record);
      if (!gzip.write(`${JSON.stringify(record)}\n`)) await Promise.race([once(gzip, 'drain'), upload]);
      if (records % 1000 === 0) progress();
    });
    gzip.end();
  } catch (err) {
    gzip.destroy();
    await upload.catch(() => undefined);
    throw err;
  }
  const object = await upload;
  budget.remaining -= recordBytes;
  return {
    partition: {
      topic: range.topic,
      partition: range.partition,
      key,
      firstOffset: firstOffset ?? range.from,
      endOffset: range.to,
      records,
      recordBytes,
      contentSha256: digest.hex(),
    },
    object,
  };
}

/** Taking a backup: its metadata, then its records. */
export function backupActivities(kube: KubeConfig, policy: BackupPolicy) {
  const withStore = storeOpener(kube, policy);
  const kafka = kafkaClients(kube);
  return {
    /**
     * Reads topics, configs, ACLs, group offsets and broker configs, and the
     * offsets up to which records are copied (the last stable offset now, so
     * the records and the group offsets are of the same moment), and writes
     * metadata.json and the list of partitions to copy (work/ranges.json).
     * Refuses an id that already has a manifest. Returns counts only: the
     * lists stay in the store, whatever the number of partitions.
     */
    async captureBackupMetadata(
      input: BackupLocation & { bootstrap: KafkaAccess; recordTopics: string[] },
    ): Promise<{
      metadata: StoredObject;
      partitions: number;
      recordTopics: number;
      counts: { topics: number; acls: number | null; groups: number; brokerConfigs: number };
    }> {
      return withStore(input, async (store, keys) => {
        if (await store.exists(keys.manifest)) {
          throw failure('BackupExists', `backup ${input.id} already exists in ${store.location}`);
        }
        const metadata = await readClusterMetadata(await kafka.options(input.bootstrap));
        const { topics, missing } = selectRecordTopics(
          input.recordTopics,
          metadata.topics.map((t) => t.name),
        );
        if (missing.length > 0) {
          throw failure(
            'InvalidSpec',
            `spec.backup.records.topics names topics the cluster does not have: ${missing.join(', ')}`,
          );
        }
        const ranges = await partitionRanges(await kafka.options(input.bootstrap), topics);
        const object = await store.put(keys.metadata, Buffer.from(JSON.stringify(metadata)));
        await store.put(keys.ranges, Buffer.from(JSON.stringify({ recordTopics: topics, ranges })));
        return {
          metadata: object,
          partitions: ranges.length,
          recordTopics: topics.length,
          counts: {
            topics: metadata.topics.length,
            acls: metadata.acls === null ? null : metadata.acls.length,
            groups: metadata.groups.length,
            brokerConfigs: Object.keys(metadata.brokerConfigs).length,
          },
        };
      });
    },

    /**
     * Copies each partition of work/ranges.json into its own object. Progress
     * is kept in the store, a work/copied-N.json per 100 partitions copied, so
     * an attempt after a dead worker starts after the last of those, and the
     * heartbeats carry counts only.
     */
    async copyBackupRecords(
      input: BackupLocation & { bootstrap: KafkaAccess; maxBytes: number; maxBytesText: string },
    ): Promise<{ partitions: number; records: number }> {
      const client = await kafka.options(input.bootstrap);
      return withStore(input, async (store, keys) => {
        const { ranges } = await readRanges(store, keys.ranges);
        const done = await readCopied(store, keys);
        const budget = {
          remaining: input.maxBytes - done.copied.reduce((n, d) => n + d.partition.recordBytes, 0),
          limit: input.maxBytesText,
        };
        let chunks = done.chunks;
        let chunk: CopiedPartition[] = [];
        let savedAt = Date.now();
        const save = async () => {
          await store.put(keys.copied(chunks++), Buffer.from(JSON.stringify(chunk)));
          done.copied.push(...chunk);
          chunk = [];
          savedAt = Date.now();
        };
        for (const range of ranges.slice(done.copied.length)) {
          const current = `${range.topic}-${range.partition}`;
          const progress = () =>
            heartbeat({ copied: done.copied.length + chunk.length, of: ranges.length, current });
          progress();
          chunk.push(
            await copyPartition(
              store,
              keys.records(range.topic, range.partition),
              client,
              range,
              budget,
              progress,
            ),
          );
          // Saved every 100 partitions, or sooner when partitions are large: what a new attempt need not copy again.
          if (chunk.length === copiedChunkSize || Date.now() - savedAt > 30_000) await save();
        }
        if (chunk.length > 0) await save();
        heartbeat({ copied: done.copied.length, of: ranges.length });
        return {
          partitions: done.copied.length,
          records: done.copied.reduce((n, d) => n + d.partition.records, 0),
        };
      });
    },
  };
}

/** Committing a backup to the catalog, discarding a failed one, and retention. */
export function backupCatalogActivities(kube: KubeConfig, policy: BackupPolicy) {
  const withStore = storeOpener(kube, policy);
  return {
    /**
     * Writes the manifest, the backup's catalog entry, from what the earlier
     * steps left in the store; from here on the backup is listed as complete.
     * Its working lists are deleted afterwards. Safe to repeat.
     */
    async commitBackup(
      input: BackupLocation & {
        metadata: StoredObject;
        manifest: Pick<BackupManifest, 'cluster' | 'kafkaVersion' | 'workflowId' | 'startedAt'>;
        counts: Omit<BackupManifest['contents'], 'recordTopics' | 'records'>;
      },
    ): Promise<{ records: number; sizeBytes: number }> {
      return withStore(input, async (store, keys) => {
        if (await store.exists(keys.manifest)) {
          const read = parseManifest(
            (await readObject(store, keys.manifest)).toString('utf8'),
            keys.clusterDir,
            input.id,
          );
          if ('manifest' in read && read.manifest.workflowId === input.manifest.workflowId) {
            await store.delete(await store.list(keys.work));
            return { records: read.manifest.contents.records, sizeBytes: read.manifest.sizeBytes };
          }
          throw failure('BackupExists', `backup ${input.id} already exists in ${store.location}`);
        }
        const { recordTopics, ranges } = (await store.exists(keys.ranges))
          ? await readRanges(store, keys.ranges)
          : { recordTopics: [], ranges: [] };
        const { copied } = await readCopied(store, keys);
        if (copied.length !== ranges.length) {
          throw new Error(
            `${copied.length} of ${ranges.length} partitions were copied; the manifest waits for all`,
          );
        }
        const objects = [input.metadata, ...copied.map((c) => c.object)];
        const sizeBytes = objects.reduce((n, o) => n + o.bytes, 0);
        const records = copied.reduce((n, c) => n + c.partition.records, 0);
        const manifest: BackupManifest = {
          format: backupFormat,
          id: input.id,
          ...input.manifest,
          finishedAt: new Date().toISOString(),
          contents: { ...input.counts, recordTopics, records },
          objects,
          partitions: copied.map((c) => c.partition),
          sizeBytes,
        };
        await store.put(keys.manifest, Buffer.from(JSON.stringify(manifest, null, 2)));
        await store.delete(await store.list(keys.work));
        return { records, sizeBytes };
      });
    },

    /**
     * Deletes everything a failed backup wrote (it has no manifest, so nothing
     * lists it meanwhile); leaves a directory with a manifest alone (a failure
     * such as "backup id exists" must not touch the complete backup).
     */
    async discardBackup(input: BackupLocation): Promise<number> {
      return withStore(input, async (store, keys) => {
        if (await store.exists(keys.manifest)) return 0;
        const objects = await store.list(keys.dir);
        await store.delete(objects);
        return objects.length;
      });
    },

    /**
     * Retention: deletes complete backups beyond `keepLast` or older than
     * `maxAgeMs` (never the newest), and directories of backups that were cut
     * short. A manifest goes first, so a backup being deleted is never listed.
     */
    async pruneBackups(
      input: BackupLocation & { keepLast: number; maxAgeMs?: number },
    ): Promise<{ expired: string[]; abandoned: string[]; untrusted: { id: string; problem: string }[] }> {
      return withStore(input, async (store) => {
        const { dir, ids, manifests, invalid } = await readCatalog(store, input.source);
        const expired = expiredBackups(
          manifests,
          { keepLast: input.keepLast, ...(input.maxAgeMs !== undefined ? { maxAgeMs: input.maxAgeMs } : {}) },
          new Date(),
        );
        const kept = new Set([...manifests.map((m) => m.id), ...invalid.map((i) => i.id)]);
        const abandoned = abandonedBackups(ids, kept, input.id);
        // Each id is a directory listed under the cluster's prefix (a manifest's id must equal it).
        for (const id of [...expired, ...abandoned]) {
          const keys = backupKeys(dir, id);
          await store.delete([keys.manifest]);
          await store.delete(await store.list(keys.dir));
        }
        return { expired, abandoned, untrusted: invalid };
      });
    },
  };
}

/**
 * A cluster's backup directories and the manifests of the complete ones,
 * newest first. Only directories named like one of this cluster's backup ids
 * count; a directory whose manifest cannot be trusted is `invalid`: neither
 * complete nor abandoned, so nothing deletes it.
 */
async function readCatalog(
  store: BackupStore,
  source: { namespace: string; name: string },
): Promise<{
  dir: string;
  ids: string[];
  manifests: BackupManifest[];
  invalid: { id: string; problem: string }[];
}> {
  const dir = clusterPrefix(store.prefix, source.namespace, source.name);
  const ids = (await store.listDirs(dir)).filter((id) => parseBackupId(id)?.cluster === source.name);
  const manifests: BackupManifest[] = [];
  const invalid: { id: string; problem: string }[] = [];
  for (const id of ids) {
    const key = backupKeys(dir, id).manifest;
    if (!(await store.exists(key))) continue;
    const read = parseManifest((await readObject(store, key)).toString('utf8'), dir, id);
    if ('manifest' in read) manifests.push(read.manifest);
    else invalid.push({ id, problem: read.problem });
  }
  return {
    dir,
    ids,
    manifests: manifests.sort((a, b) => b.startedAt.localeCompare(a.startedAt)),
    invalid,
  };
}

/** The complete backups of a cluster, newest first (for `keelson backup list` and restore's messages). */
export async function listBackups(
  store: BackupStore,
  source: { namespace: string; name: string },
): Promise<BackupManifest[]> {
  return (await readCatalog(store, source)).manifests;
}
