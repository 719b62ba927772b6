// A restore drill: proof that a cluster's newest backup restores, without
// touching the cluster. Started by the cluster's restore-drill schedule (its
// cron times, or `keelson backup drill`). Steps: find the newest complete
// backup → create a scratch KafkaCluster (same Kafka version and config, the
// same backup target) and wait until it is Ready → restore the backup into it
// (the restore workflow, as a child, with every check of a real restore) →
// compare every partition's offsets and records, and the group offsets, with
// the backup → report in status.lastRestoreDrill and as an Event → delete the
// scratch cluster, whatever happened.
import {
  CancellationScope,
  executeChild,
  proxyActivities,
  setCurrentDetails,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { rootCause } from '../domain/failure-message.ts';
import { restoreDrillClusterName, scratchClusterSpec } from '../domain/restore-drill.ts';
import { clusterWithBackupTarget } from './backup-target.ts';
import { bulkTransfer, longWait, quickCall, storeCall } from './activity-options.ts';
import { restoreWorkflow } from './restore.ts';

const quick = proxyActivities<Activities>(quickCall);
const store = proxyActivities<Activities>(storeCall);
const waits = proxyActivities<Activities>(longWait);
const reads = proxyActivities<Activities>(bulkTransfer);

/** How long a scratch cluster may take to become Ready before the drill fails. */
const scratchReadyTimeoutMs = 20 * 60_000;

export interface RestoreDrillInput {
  namespace: string;
  name: string;
}

export interface RestoreDrillResult {
  backupId: string;
  scratchCluster: string;
  partitions: number;
  records: number;
  offsets: number;
}

export async function restoreDrillWorkflow(input: RestoreDrillInput): Promise<RestoreDrillResult> {
  const info = workflowInfo();
  const startedAt = info.startTime.toISOString();
  const key = { namespace: input.namespace, name: input.name };
  const scratchKey = { namespace: input.namespace, name: restoreDrillClusterName(input.name) };
  let backupId = '';
  const step = (text: string): void =>
    setCurrentDetails(
      `**Restore drill** of ${input.namespace}/${input.name} \`${backupId || '…'}\`: ${text}`,
    );

  const { cluster, spec, backup } = await clusterWithBackupTarget(key, 'has no spec.backup to drill', {
    brokers: false,
  });
  const finish = async (
    outcome: 'Succeeded' | 'Failed',
    details: { partitions?: number; records?: number; message?: string },
  ) => {
    await quick.patchStatus({
      ...key,
      status: {
        lastRestoreDrill: {
          backupId,
          workflowId: info.workflowId,
          outcome,
          startedAt,
          finishedAt: new Date().toISOString(),
          ...details,
        },
      },
    });
    await quick.recordEvent({
      cluster,
      key: `${info.workflowId}/${outcome}`,
      type: outcome === 'Succeeded' ? 'Normal' : 'Warning',
      reason: outcome === 'Succeeded' ? 'RestoreDrillSucceeded' : 'RestoreDrillFailed',
      action: 'RestoreDrill',
      note: (outcome === 'Succeeded'
        ? `backup ${backupId} restores: ${details.partitions ?? 0} partitions, ${details.records ?? 0} records match the backup`
        : `restore drill of backup ${backupId || '(none)'} failed: ${details.message ?? ''}`
      ).slice(0, 1000),
    });
  };

  let scratchUid: string | undefined;
  try {
    step('finding the newest backup');
    backupId = await store.newestBackup({ namespace: input.namespace, target: backup.target, source: key });
    step(`creating the scratch cluster ${scratchKey.name}`);
    scratchUid = (
      await quick.createScratchCluster({
        ...scratchKey,
        source: { name: input.name, uid: cluster.uid },
        spec: scratchClusterSpec(spec),
      })
    ).uid;
    step(`waiting for ${scratchKey.name} to be Ready`);
    await waits.waitForClusterReady({ ...scratchKey, uid: scratchUid, timeoutMs: scratchReadyTimeoutMs });
    step(`restoring ${backupId} into ${scratchKey.name}`);
    await executeChild(restoreWorkflow, {
      workflowId: `${info.workflowId}/restore`,
      args: [{ backupId, source: key, target: scratchKey, overwriteTopics: false }],
    });
    step('comparing the restored records and offsets with the backup');
    const scratch = await clusterWithBackupTarget(scratchKey, 'lost its spec.backup');
    const verified = await reads.verifyRestoredBackup({
      namespace: input.namespace,
      target: backup.target,
      source: key,
      id: backupId,
      bootstrap: scratch.bootstrap,
    });
    await finish('Succeeded', { partitions: verified.partitions, records: verified.records });
    step(
      `done: ${verified.partitions} partitions, ${verified.records} records, ${verified.offsets} offsets match`,
    );
    return { backupId, scratchCluster: scratchKey.name, ...verified };
  } catch (err) {
    step(`failed: ${rootCause(err)}`);
    await finish('Failed', { message: rootCause(err).slice(0, 1000) });
    throw err;
  } finally {
    const uid = scratchUid;
    // Also when the drill is cancelled: a scratch cluster left behind would hold brokers and disks.
    if (uid) await CancellationScope.nonCancellable(() => quick.deleteScratchCluster({ ...scratchKey, uid }));
  }
}
