// Restoring a backup into a KafkaCluster (the one it was taken of or
// another), started by `keelson restore`. The backup is read from the target
// cluster's spec.backup.target. Checks first (nothing is changed when the
// backup is missing or corrupt, a topic exists and overwriting was not asked
// for, the target is too small, has no authorizer for the ACLs, or has active
// groups); then topics, records, ACLs and consumer offsets, each step safe to
// repeat after a worker dies.
import { proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { GroupOffsets } from '../domain/backup.ts';
import { clusterWithBackupTarget, noBrokerReady } from './backup-target.ts';
import { bulkTransfer, quickCall, storeCall } from './activity-options.ts';

const kube = proxyActivities<Activities>(quickCall);
const checks = proxyActivities<Activities>(storeCall);
const writes = proxyActivities<Activities>(bulkTransfer);

export interface RestoreInput {
  backupId: string;
  /** The cluster the backup was taken of (its backups live under its name). */
  source: { namespace: string; name: string };
  /** The cluster to restore into. */
  target: { namespace: string; name: string };
  /** Delete and recreate topics the target already has. */
  overwriteTopics: boolean;
}

export interface RestoreReport {
  backupId: string;
  topicsCreated: string[];
  topicsReplaced: string[];
  records: number;
  acls: number;
  groups: number;
  offsets: number;
  /** Committed offsets not restored: their topic's records are not in the backup, so they would point past its end. */
  offsetsSkipped: { group: string; topic: string; partitions: number }[];
  /** Cluster-wide broker configs of the backup that the target's spec.config sets differently or not at all; the spec owns them. */
  brokerConfigsNotApplied: Record<string, string>;
}

export async function restoreWorkflow(input: RestoreInput): Promise<RestoreReport> {
  const info = workflowInfo();
  const target = input.target;
  const step = (text: string): void =>
    setCurrentDetails(`**Restore** \`${input.backupId}\` into ${target.namespace}/${target.name}: ${text}`);
  const { cluster, spec, backup, bootstrap } = await clusterWithBackupTarget(
    target,
    `has no spec.backup.target to read backups from: point it at the store that holds ${input.backupId}`,
  );
  if (bootstrap.length === 0) throw noBrokerReady(target);
  const location = {
    namespace: target.namespace,
    target: backup.target,
    source: input.source,
    id: input.backupId,
  };

  step('checking the backup and the target');
  const { manifest, metadata, plan } = await checks.planBackupRestore({
    ...location,
    bootstrap,
    overwriteTopics: input.overwriteTopics,
  });
  await kube.recordEvent({
    cluster,
    key: `${info.workflowId}/started`,
    type: 'Normal',
    reason: 'RestoreStarted',
    action: 'Restore',
    note: `restoring ${input.backupId} of ${input.source.namespace}/${input.source.name} (${metadata.topics.length} topics${plan.overwrite.length > 0 ? `, replacing ${plan.overwrite.join(', ')}` : ''})`,
  });
  if (plan.overwrite.length > 0) {
    step(`deleting ${plan.overwrite.join(', ')} to replace them`);
    await writes.deleteTopicsForRestore({ bootstrap, topics: plan.overwrite });
  }
  step(`creating ${plan.create.length} topic(s)`);
  await writes.createTopicsForRestore({ bootstrap, topics: plan.create });

  // Committed offsets of topics whose records are restored are translated onto the new offsets.
  const withRecords = new Set(manifest.partitions.map((p) => `${p.topic}/${p.partition}`));
  const committed: Record<string, string[]> = {};
  for (const group of metadata.groups)
    for (const o of group.offsets)
      if (withRecords.has(`${o.topic}/${o.partition}`))
        (committed[`${o.topic}/${o.partition}`] ??= []).push(o.offset);
  let records = 0;
  let translated: Record<string, Record<string, number>> = {};
  if (manifest.partitions.length > 0) {
    step(`restoring ${manifest.contents.records} records of ${manifest.contents.recordTopics.join(', ')}`);
    ({ records, translated } = await writes.restoreRecords({
      ...location,
      bootstrap,
      partitions: manifest.partitions,
      objects: manifest.objects,
      committed,
    }));
  }
  step('restoring ACLs');
  const acls = await writes.restoreAcls({ bootstrap, acls: metadata.acls ?? [] });

  step('restoring consumer group offsets');
  const offsetsSkipped: RestoreReport['offsetsSkipped'] = [];
  const groups: GroupOffsets[] = [];
  for (const group of metadata.groups) {
    const offsets = group.offsets.flatMap((o) => {
      const name = `${o.topic}/${o.partition}`;
      if (!withRecords.has(name)) return [];
      // Every committed offset of these partitions was passed to restoreRecords, which mapped it.
      return [{ ...o, offset: String(translated[name]?.[o.offset] ?? 0) }];
    });
    const skipped = new Map<string, number>();
    for (const o of group.offsets)
      if (!withRecords.has(`${o.topic}/${o.partition}`))
        skipped.set(o.topic, (skipped.get(o.topic) ?? 0) + 1);
    for (const [topic, partitions] of skipped)
      offsetsSkipped.push({ group: group.groupId, topic, partitions });
    if (offsets.length > 0) groups.push({ groupId: group.groupId, offsets });
  }
  const offsets = await writes.restoreGroupOffsets({ bootstrap, groups });

  const brokerConfigsNotApplied = Object.fromEntries(
    Object.entries(metadata.brokerConfigs).filter(([k, v]) => String(spec.config[k] ?? '') !== v),
  );
  const report: RestoreReport = {
    backupId: input.backupId,
    topicsCreated: plan.create.map((t) => t.name).filter((t) => !plan.overwrite.includes(t)),
    topicsReplaced: plan.overwrite,
    records,
    acls,
    groups: groups.length,
    offsets,
    offsetsSkipped,
    brokerConfigsNotApplied,
  };
  await kube.recordEvent({
    cluster,
    key: `${info.workflowId}/restored`,
    type: 'Normal',
    reason: 'Restored',
    action: 'Restore',
    note: `restored ${input.backupId}: ${plan.create.length} topics, ${records} records, ${acls} ACLs, ${offsets} offsets of ${groups.length} groups`,
  });
  step('done');
  return report;
}
