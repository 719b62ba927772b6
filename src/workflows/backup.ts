// One backup of a KafkaCluster, started by the cluster's backup schedule
// (at its cron times, or triggered on demand). It runs beside the cluster
// workflow, not as its child: a backup reads through the Admin API and a
// fetch connection per partition, so it neither waits for nor holds up a
// roll or a scale. A record copy that loses its leader to a restart is tried
// again (that partition from its start).
//
// Steps: metadata → records → manifest → retention. Only the manifest makes a
// backup complete, so a backup cut short is never listed; a failed one
// deletes what it wrote, and one whose workflow was terminated is deleted by
// the next backup's retention step.
import { proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { parseDurationMs } from '../crd/duration.ts';
import { backupId, quantityBytes } from '../domain/backup.ts';
import { clusterWithBackupTarget, noBrokerReady } from './backup-target.ts';
import { bulkTransfer, quickCall, storeCall } from './activity-options.ts';
import { rootCause } from '../domain/failure-message.ts';
import { failureType } from '../domain/failures.ts';
import { buildCondition } from '../domain/conditions.ts';

const quick = proxyActivities<Activities>(quickCall);
const store = proxyActivities<Activities>(storeCall);
const copy = proxyActivities<Activities>(bulkTransfer);

export interface BackupInput {
  namespace: string;
  name: string;
}

export interface BackupResult {
  id: string;
  sizeBytes: number;
  records: number;
  expired: string[];
}

export async function backupWorkflow(input: BackupInput): Promise<BackupResult> {
  const info = workflowInfo();
  const startedAt = info.startTime;
  const id = backupId(input.name, startedAt);
  const key = { namespace: input.namespace, name: input.name };
  const step = (text: string): void =>
    setCurrentDetails(`**Backup** ${input.namespace}/${input.name} \`${id}\`: ${text}`);

  const { cluster, spec, backup, bootstrap, generation } = await clusterWithBackupTarget(
    key,
    'has no spec.backup',
  );
  const location = { namespace: input.namespace, target: backup.target, source: key, id };
  const finish = async (
    outcome: 'Succeeded' | 'Failed',
    details: { sizeBytes?: number; records?: number; message?: string },
    targetRefused = false,
  ) => {
    // The target condition changes only when the store was reached or refused, not on other failures.
    const targetCondition =
      outcome === 'Succeeded' || targetRefused
        ? [
            buildCondition(
              'BackupTargetReady',
              targetRefused ? 'False' : 'True',
              targetRefused ? 'TargetRefused' : 'BackupSucceeded',
              targetRefused ? (details.message ?? '') : `backup ${id} was written to the target`,
              generation,
              new Date(),
            ),
          ]
        : [];
    await quick.patchStatus({
      ...key,
      status: {
        ...(targetCondition.length > 0 ? { conditions: targetCondition } : {}),
        lastBackup: {
          id,
          workflowId: info.workflowId,
          outcome,
          startedAt: startedAt.toISOString(),
          finishedAt: new Date().toISOString(),
          ...details,
        },
      },
    });
    await quick.recordEvent({
      cluster,
      key: `${info.workflowId}/${outcome}`,
      type: outcome === 'Succeeded' ? 'Normal' : 'Warning',
      reason:
        outcome === 'Succeeded' ? 'BackupSucceeded' : targetRefused ? 'BackupTargetRefused' : 'BackupFailed',
      action: 'Backup',
      note:
        outcome === 'Succeeded'
          ? `backup ${id}: ${details.records ?? 0} records, ${details.sizeBytes ?? 0} bytes`
          : `backup ${id} failed: ${details.message ?? ''}`.slice(0, 1000),
    });
  };

  try {
    step('reading topics, configs, ACLs and consumer offsets');
    if (bootstrap.addresses.length === 0) throw noBrokerReady(key);
    const captured = await store.captureBackupMetadata({
      ...location,
      bootstrap,
      recordTopics: backup.records?.topics ?? [],
    });
    if (captured.partitions > 0 && backup.records) {
      step(`copying the records of ${captured.partitions} partitions of ${captured.recordTopics} topics`);
      await copy.copyBackupRecords({
        ...location,
        bootstrap,
        maxBytes: quantityBytes(backup.records.maxBytes),
        maxBytesText: backup.records.maxBytes,
      });
    }
    step('writing the manifest');
    const { records, sizeBytes } = await store.commitBackup({
      ...location,
      metadata: captured.metadata,
      manifest: {
        cluster: { namespace: input.namespace, name: input.name, uid: cluster.uid },
        kafkaVersion: spec.kafkaVersion,
        workflowId: info.workflowId,
        startedAt: startedAt.toISOString(),
      },
      counts: captured.counts,
    });
    // Complete from here on: a failing retention step is reported, the backup stands.
    step('applying retention');
    let expired: string[] = [];
    let retention = '';
    try {
      expired = (
        await store.pruneBackups({
          ...location,
          keepLast: backup.retention.keepLast,
          ...(backup.retention.maxAge ? { maxAgeMs: parseDurationMs(backup.retention.maxAge) } : {}),
        })
      ).expired;
    } catch (err) {
      retention = `retention failed: ${rootCause(err)}`;
    }
    await finish('Succeeded', { sizeBytes, records, ...(retention ? { message: retention } : {}) });
    step(`done: ${records} records, ${sizeBytes} bytes; retention deleted ${expired.length} backup(s)`);
    return { id, sizeBytes, records, expired };
  } catch (err) {
    step(`failed: ${rootCause(err)}`);
    await store.discardBackup(location).catch(() => undefined); // a later backup's retention deletes it then
    await finish(
      'Failed',
      { message: rootCause(err).slice(0, 1000) },
      failureType(err) === 'BackupTargetRefused',
    );
    throw err;
  }
}
