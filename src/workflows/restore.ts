// Restoring a backup into a KafkaCluster (the one it was taken of or
// another), started by `keelson restore`. The backup is read from the target
// cluster's spec.backup.target. Checks first (nothing is changed when the
// backup is missing, or any object of it is missing or corrupt, a topic exists and overwriting was not asked
// for, the target is too small, has no authorizer for the ACLs, or has active
// groups); then topics, records, ACLs and consumer offsets, each step safe to
// repeat after a worker dies.
import { proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { clusterWithBackupTarget, noBrokerReady } from './backup-target.ts';
import { bulkTransfer, quickCall, storeCall } from './activity-options.ts';

const quick = proxyActivities<Activities>(quickCall);
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

type RestoreCounts = Awaited<ReturnType<Activities['restoreRecordsAndOffsets']>>;

export interface RestoreReport {
  backupId: string;
  /** How many topics were created, and those replaced (the first 50 names when there are more). */
  topicsCreated: number;
  topicsReplaced: string[];
  records: number;
  acls: number;
  groups: number;
  offsets: number;
  /** Committed offsets not restored (the first 50): their topic's records are not in the backup, so they would point past its end. */
  offsetsSkipped: RestoreCounts['offsetsSkipped'];
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
  if (bootstrap.addresses.length === 0) throw noBrokerReady(target);
  const location = {
    namespace: target.namespace,
    target: backup.target,
    source: input.source,
    id: input.backupId,
  };

  step('checking the backup and the target');
  const plan = await checks.planBackupRestore({
    ...location,
    bootstrap,
    overwriteTopics: input.overwriteTopics,
  });
  // Every object read and compared with its checksum before anything changes.
  step(`verifying the ${plan.partitions + 1} objects of the backup`);
  const planned = { ...location, bootstrap, manifestSha256: plan.manifestSha256 };
  await writes.verifyBackupObjects(planned);
  await quick.recordEvent({
    cluster,
    key: `${info.workflowId}/started`,
    type: 'Normal',
    reason: 'RestoreStarted',
    action: 'Restore',
    note: `restoring ${input.backupId} of ${input.source.namespace}/${input.source.name} (${plan.topics} topics${plan.overwriteCount > 0 ? `, replacing ${plan.overwrite.join(', ')}` : ''})`.slice(
      0,
      1000,
    ),
  });
  if (plan.overwriteCount > 0) {
    step(`deleting ${plan.overwriteCount} topic(s) to replace them`);
    await writes.deleteTopicsForRestore(planned);
  }
  step(`creating ${plan.topics} topic(s)`);
  await writes.createTopicsForRestore(planned);

  step(
    plan.partitions > 0
      ? `restoring ${plan.records} records of ${plan.recordTopics.join(', ')}, then consumer group offsets`
      : 'restoring consumer group offsets',
  );
  const restored = await writes.restoreRecordsAndOffsets(planned);
  step('restoring ACLs');
  const acls = await writes.restoreAcls(planned);

  const brokerConfigsNotApplied = Object.fromEntries(
    Object.entries(plan.brokerConfigs).filter(([k, v]) => String(spec.config[k] ?? '') !== v),
  );
  const report: RestoreReport = {
    backupId: input.backupId,
    topicsCreated: plan.topics - plan.overwriteCount,
    topicsReplaced: plan.overwrite,
    records: restored.records,
    acls,
    groups: restored.groups,
    offsets: restored.offsets,
    offsetsSkipped: restored.offsetsSkipped,
    brokerConfigsNotApplied,
  };
  await quick.recordEvent({
    cluster,
    key: `${info.workflowId}/restored`,
    type: 'Normal',
    reason: 'Restored',
    action: 'Restore',
    note: `restored ${input.backupId}: ${plan.topics} topics, ${restored.records} records, ${acls} ACLs, ${restored.offsets} offsets of ${restored.groups} groups`,
  });
  step('done');
  return report;
}
