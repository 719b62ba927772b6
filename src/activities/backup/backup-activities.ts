// The steps of a backup, each an activity of the backup workflow: capture the
// metadata, copy the records, commit the manifest (the catalog entry; written
// last, so a backup cut short never looks complete), prune, or discard what a
// failed backup wrote. Record copies heartbeat the partitions they finished,
// so a copy taken over by another worker starts at the partition it was on.
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import type { KubeConfig } from '@kubernetes/client-node';
import { activityInfo, ApplicationFailure, heartbeat } from '@temporalio/activity';
import {
  abandonedBackups,
  backupKeys,
  clusterPrefix,
  expiredBackups,
  parseBackupId,
  selectRecordTopics,
  type BackupManifest,
  type PartitionRecords,
  type StoredObject,
} from '../../domain/backup.ts';
import { readClusterMetadata } from '../kafka/cluster-metadata.ts';
import { partitionRanges, readPartition, type PartitionRange } from '../kafka/partition-records.ts';
import { openBackupStore, readObject, type BackupStore, type BackupTarget } from './backup-store.ts';
import { parseManifest } from './backup-manifest.ts';
import { recordDigest } from './record-digest.ts';

export interface BackupLocation {
  /** The namespace of the cluster whose spec names the target (its Secret holds the credentials). */
  namespace: string;
  target: BackupTarget;
  /** The cluster the backup is of, and its id. */
  source: { namespace: string; name: string };
  id: string;
}

/** Opens the store a location names, runs `action` with it and the backup's keys, and closes it. */
export function storeOpener(kube: KubeConfig) {
  return async <T>(
    location: BackupLocation,
    action: (store: BackupStore, keys: ReturnType<typeof backupKeys>) => Promise<T>,
  ): Promise<T> => {
    const store = await openBackupStore(kube, location.namespace, location.target);
    try {
      const dir = clusterPrefix(store.prefix, location.source.namespace, location.source.name);
      return await action(store, backupKeys(dir, location.id));
    } finally {
      store.close();
    }
  };
}

async function copyPartition(
  store: BackupStore,
  key: string,
  bootstrap: string[],
  range: PartitionRange,
  budget: { remaining: number; limit: string },
  progress: () => void,
): Promise<{ partition: PartitionRecords; object: StoredObject }> {
  const gzip = createGzip();
  const upload = store.put(key, gzip);
  const digest = recordDigest();
  let records = 0;
  let recordBytes = 0;
  let firstOffset: string | undefined;
  try {
    await readPartition(bootstrap, range, async (record, bytes) => {
      recordBytes += bytes;
      if (recordBytes > budget.remaining) {
        throw ApplicationFailure.nonRetryable(
          `the records to back up exceed spec.backup.records.maxBytes (${budget.limit}) at ${range.topic}-${range.partition}; raise the limit or back up fewer topics`,
          'BackupTooLarge',
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

export function backupActivities(kube: KubeConfig) {
  const withStore = storeOpener(kube);
  return {
    /**
     * Reads topics, configs, ACLs, group offsets and broker configs, and the
     * offsets up to which records are copied (the last stable offset now, so
     * the records and the group offsets are of the same moment), and writes
     * metadata.json. Refuses an id that already has a manifest.
     */
    async captureBackupMetadata(
      input: BackupLocation & { bootstrap: string[]; recordTopics: string[] },
    ): Promise<{
      metadata: StoredObject;
      ranges: PartitionRange[];
      recordTopics: string[];
      counts: { topics: number; acls: number | null; groups: number; brokerConfigs: number };
    }> {
      return withStore(input, async (store, keys) => {
        if (await store.exists(keys.manifest)) {
          throw ApplicationFailure.nonRetryable(
            `backup ${input.id} already exists in ${store.location}`,
            'BackupExists',
          );
        }
        const metadata = await readClusterMetadata(input.bootstrap);
        const { topics, missing } = selectRecordTopics(
          input.recordTopics,
          metadata.topics.map((t) => t.name),
        );
        if (missing.length > 0) {
          throw ApplicationFailure.nonRetryable(
            `spec.backup.records.topics names topics the cluster does not have: ${missing.join(', ')}`,
            'InvalidSpec',
          );
        }
        const ranges = await partitionRanges(input.bootstrap, topics);
        const object = await store.put(keys.metadata, Buffer.from(JSON.stringify(metadata)));
        return {
          metadata: object,
          ranges,
          recordTopics: topics,
          counts: {
            topics: metadata.topics.length,
            acls: metadata.acls === null ? null : metadata.acls.length,
            groups: metadata.groups.length,
            brokerConfigs: Object.keys(metadata.brokerConfigs).length,
          },
        };
      });
    },

    /** Copies each partition's records into its own object; resumes after the partitions a previous attempt finished. */
    async copyBackupRecords(
      input: BackupLocation & {
        bootstrap: string[];
        ranges: PartitionRange[];
        maxBytes: number;
        maxBytesText: string;
      },
    ): Promise<{ partitions: PartitionRecords[]; objects: StoredObject[] }> {
      const previous = (activityInfo().heartbeatDetails as
        { done: { partition: PartitionRecords; object: StoredObject }[] } | undefined) ?? { done: [] };
      const done = [...previous.done];
      return withStore(input, async (store, keys) => {
        const budget = {
          remaining: input.maxBytes - done.reduce((n, d) => n + d.partition.recordBytes, 0),
          limit: input.maxBytesText,
        };
        for (const range of input.ranges) {
          if (
            done.some((d) => d.partition.topic === range.topic && d.partition.partition === range.partition)
          )
            continue;
          const current = `${range.topic}-${range.partition}`;
          heartbeat({ done, current });
          const copied = await copyPartition(
            store,
            keys.records(range.topic, range.partition),
            input.bootstrap,
            range,
            budget,
            () => heartbeat({ done, current }),
          );
          done.push(copied);
          heartbeat({ done });
        }
        return { partitions: done.map((d) => d.partition), objects: done.map((d) => d.object) };
      });
    },

    /** Writes the manifest, the backup's catalog entry; from here on the backup is listed as complete. */
    async commitBackup(input: BackupLocation & { manifest: BackupManifest }): Promise<void> {
      await withStore(input, async (store, keys) => {
        await store.put(keys.manifest, Buffer.from(JSON.stringify(input.manifest, null, 2)));
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
