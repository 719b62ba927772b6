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
import type { KubeConfig } from '@kubernetes/client-node';
import { Admin } from '@platformatic/kafka';
import { ApplicationFailure, heartbeat, sleep } from '@temporalio/activity';
import { planRestore } from '../../domain/backup.ts';
import type { BackupPolicy } from '../../domain/backup-policy.ts';
import { readAcls, toAcl } from '../kafka/cluster-metadata.ts';
import { kafkaClients, type KafkaClients } from '../kafka/client-options.ts';
import type { KafkaAccess } from '../../domain/tls.ts';
import { listBackups, storeOpener, type BackupLocation } from './backup-activities.ts';
import { notFound, readObject } from './backup-store.ts';
import { restoreRecords, type RestoredRecords } from './restore-records.ts';
import { corrupt, readRecordObject, readVerifiedBackup, sha256 } from './verified-backup.ts';
import { failure, failureType } from '../../domain/failures.ts';

const activeGroupStates = new Set([
  'STABLE',
  'PREPARING_REBALANCE',
  'COMPLETING_REBALANCE',
  'ASSIGNING',
  'RECONCILING',
]);

/** At most `limit` names, then how many more: for messages and results that must stay small. */
function someOf(names: readonly string[], limit = 50): string[] {
  return names.length <= limit
    ? [...names]
    : [...names.slice(0, limit), `… and ${names.length - limit} more`];
}

/** A later step's view of the backup: the one the plan checked. */
type Planned = BackupLocation & { bootstrap: KafkaAccess; manifestSha256: string };

async function withAdmin<T>(
  kafka: KafkaClients,
  bootstrap: KafkaAccess,
  action: (admin: Admin) => Promise<T>,
): Promise<T> {
  const admin = new Admin(await kafka.options(bootstrap));
  try {
    return await action(admin);
  } finally {
    await admin.close();
  }
}

/** The checks of a restore, before anything changes: the plan, then every object of the backup. */
export function restoreActivities(kube: KubeConfig, policy: BackupPolicy) {
  const withStore = storeOpener(kube, policy);
  const kafka = kafkaClients(kube);
  return {
    /**
     * Reads the backup's manifest and metadata (checked) and the target's
     * topics, brokers, authorizer and groups; refuses with every problem at
     * once when the restore cannot go ahead. Changes nothing.
     */
    async planBackupRestore(
      input: BackupLocation & { bootstrap: KafkaAccess; overwriteTopics: boolean },
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
      const target = await withAdmin(kafka, input.bootstrap, async (admin) => {
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
        throw failure(
          'RestoreRefused',
          `restore of ${input.id} refused, nothing changed: ${plan.problems.join('; ')}`.slice(0, 4000),
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
              if (failureType(err) === 'BackupNotFound')
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
  };
}

/** The writes of a restore, each safe to repeat: topics replaced and created, records and offsets, ACLs. */
export function restoreWriteActivities(kube: KubeConfig, policy: BackupPolicy) {
  const withStore = storeOpener(kube, policy);
  const kafka = kafkaClients(kube);
  const readPlanned = (input: Planned) =>
    withStore(input, (store, keys) => readVerifiedBackup(store, keys, input.id, input.manifestSha256));
  return {
    /** Deletes the backup's topics that the target has (the user asked to overwrite them) and waits until Kafka no longer lists them. */
    async deleteTopicsForRestore(input: Planned): Promise<void> {
      const { metadata } = await readPlanned(input);
      const names = new Set(metadata.topics.map((t) => t.name));
      await withAdmin(kafka, input.bootstrap, async (admin) => {
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
      return withAdmin(kafka, input.bootstrap, async (admin) => {
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
     * Produces each partition's records into the same partition, then sets
     * the groups' committed offsets translated onto them (see restore-records.ts).
     */
    async restoreRecordsAndOffsets(input: Planned): Promise<RestoredRecords> {
      const { manifest, metadata } = await readPlanned(input);
      const client = await kafka.options(input.bootstrap);
      return withStore(input, (store) => restoreRecords(store, { id: input.id, client }, manifest, metadata));
    },

    async restoreAcls(input: Planned): Promise<number> {
      const { metadata } = await readPlanned(input);
      const acls = metadata.acls ?? [];
      if (acls.length === 0) return 0;
      await withAdmin(kafka, input.bootstrap, (admin) => admin.createAcls({ creations: acls.map(toAcl) }));
      return acls.length;
    },
  };
}
