// `keelson backup now|list|drill` and `keelson restore`. A backup on demand is the
// cluster workflow's backup Update (the same as the keelson.dev/backup
// annotation), which triggers the cluster's backup schedule; --wait then
// follows the backup workflow the schedule started. `backup list` reads the
// catalog from the store named in the cluster's spec (the caller's
// kubeconfig must be allowed to read the credentials Secret). A restore is a
// workflow; the command waits for its report.
import { KubeApi, resourcePath } from '../kubernetes/api.ts';
import { loadKubeConfig } from '../kubernetes/kube-config.ts';
import {
  Client,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { listBackups } from '../activities/backup/backup-activities.ts';
import { openBackupStore } from '../activities/backup/backup-store.ts';
import { userPolicy } from '../domain/backup-policy.ts';
import { group, KafkaClusterSpec, plural, version } from '../crd/kafka-cluster.ts';
import { parseBackupId } from '../domain/backup.ts';
import { rootCause } from '../domain/failure-message.ts';
import type { BackupResult } from '../workflows/backup.ts';
import {
  backupUpdate,
  clusterWorkflowId,
  restoreDrillScheduleId,
  restoreWorkflowId,
} from '../workflows/messages.ts';
import type { RestoreDrillResult } from '../workflows/restore-drill.ts';
import type { RestoreInput, RestoreReport } from '../workflows/restore.ts';
import { parseClusterRef } from './arguments.ts';
import { renderOutput, type OutputFormat } from './output.ts';
import { connectTemporal, type TemporalOptions } from './cluster-commands.ts';

async function withClient<T>(options: TemporalOptions, action: (client: Client) => Promise<T>): Promise<T> {
  const connection = await connectTemporal(options);
  try {
    return await action(new Client({ connection, namespace: options.temporalNamespace }));
  } finally {
    await connection.close();
  }
}

/** The backup (or restore drill) workflow the schedule started for a request made at `requestedAt`. */
async function startedBackup(client: Client, scheduleId: string, requestedAt: string): Promise<string> {
  const since = Date.parse(requestedAt) - 1_000;
  for (let attempt = 0; attempt < 600; attempt++) {
    const { info } = await client.schedule.getHandle(scheduleId).describe();
    const taken = info.recentActions.find((a) => a.takenAt.getTime() >= since);
    if (taken) return taken.action.workflow.workflowId;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  throw new Error(`no backup started from ${scheduleId} within 10 minutes`);
}

export async function backupNow(
  ref: string | undefined,
  options: TemporalOptions & { wait: boolean },
): Promise<string> {
  const { namespace, name } = parseClusterRef(ref);
  return withClient(options, async (client) => {
    let accepted: { scheduleId: string; requestedAt: string };
    try {
      accepted = await client.workflow
        .getHandle(clusterWorkflowId(namespace, name))
        .executeUpdate(backupUpdate);
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError)
        throw new Error(`refused: ${rootCause(err)}`, { cause: err });
      throw err;
    }
    if (!options.wait) {
      return `${namespace}/${name}: backup requested (schedule ${accepted.scheduleId}); follow it with kubectl get kafkacluster ${name} -n ${namespace} -o jsonpath='{.status.lastBackup}' or in the Temporal UI`;
    }
    const workflowId = await startedBackup(client, accepted.scheduleId, accepted.requestedAt);
    try {
      const result = (await client.workflow.getHandle(workflowId).result()) as BackupResult;
      return `${namespace}/${name}: backup ${result.id} complete: ${result.records} records, ${result.sizeBytes} bytes${
        result.expired.length > 0 ? `; retention deleted ${result.expired.join(', ')}` : ''
      }`;
    } catch (err) {
      if (err instanceof WorkflowFailedError)
        throw new Error(`backup failed: ${rootCause(err)}`, { cause: err });
      throw err;
    }
  });
}

/**
 * `keelson backup drill`: triggers the cluster's restore-drill schedule (one
 * drill at a time: a request while one runs starts when it ends); --wait
 * follows the drill and prints what it compared.
 */
export async function restoreDrillNow(
  ref: string | undefined,
  options: TemporalOptions & { wait: boolean },
): Promise<string> {
  const { namespace, name } = parseClusterRef(ref);
  const scheduleId = restoreDrillScheduleId(namespace, name);
  return withClient(options, async (client) => {
    const requestedAt = new Date().toISOString();
    try {
      await client.schedule.getHandle(scheduleId).trigger(ScheduleOverlapPolicy.BUFFER_ONE);
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) {
        throw new Error(
          `${namespace}/${name} has no restore drills: set spec.backup.restoreDrill (its schedule is optional)`,
          { cause: err },
        );
      }
      throw err;
    }
    if (!options.wait) {
      return `${namespace}/${name}: restore drill requested; follow it with kubectl get kafkacluster ${name} -n ${namespace} -o jsonpath='{.status.lastRestoreDrill}' or in the Temporal UI`;
    }
    const workflowId = await startedBackup(client, scheduleId, requestedAt);
    try {
      const result = (await client.workflow.getHandle(workflowId).result()) as RestoreDrillResult;
      return `${namespace}/${name}: backup ${result.backupId} restores: ${result.partitions} partitions, ${result.records} records and ${result.offsets} group offsets match the backup (restored into ${namespace}/${result.scratchCluster}, now deleted)`;
    } catch (err) {
      if (err instanceof WorkflowFailedError)
        throw new Error(`restore drill failed: ${rootCause(err)}`, { cause: err });
      throw err;
    }
  });
}

export async function listClusterBackups(
  ref: string | undefined,
  kubeconfig: string | undefined,
  output: OutputFormat = 'text',
): Promise<string> {
  const { namespace, name } = parseClusterRef(ref);
  const kube = loadKubeConfig(kubeconfig);
  const object = await new KubeApi(kube).get<{ spec: unknown }>(
    resourcePath(`${group}/${version}`, plural, namespace, name),
  );
  const backup = KafkaClusterSpec.safeParse(object.spec).data?.backup;
  if (!backup) throw new Error(`${namespace}/${name} has no spec.backup`);
  const store = await openBackupStore(kube, namespace, backup.target, userPolicy(backup.target));
  try {
    const backups = await listBackups(store, { namespace, name });
    if (output !== 'text') return renderOutput(output, { location: store.location, backups }, () => '');
    if (backups.length === 0) return `no complete backups of ${namespace}/${name} in ${store.location}`;
    return [
      `backups of ${namespace}/${name} in ${store.location}, newest first:`,
      ...backups.map(
        (b) =>
          `  ${b.id}  ${b.startedAt}  Kafka ${b.kafkaVersion}  ${b.contents.topics} topics, ${b.contents.groups} groups, ${
            b.contents.acls ?? 'no'
          } ACLs, ${b.contents.records} records  ${b.sizeBytes} bytes`,
      ),
    ].join('\n');
  } finally {
    store.close();
  }
}

export async function restore(
  backupId: string | undefined,
  options: TemporalOptions & { to: string | undefined; from: string | undefined; overwriteTopics: boolean },
): Promise<string> {
  const parsedId = parseBackupId(backupId ?? '');
  if (!backupId || !parsedId) {
    throw new Error(
      `expected a backup id such as orders-20261126-230501 (see keelson backup list), got "${backupId ?? ''}"`,
    );
  }
  if (!options.to) throw new Error('--to <namespace>/<name> of the KafkaCluster to restore into is required');
  const target = parseClusterRef(options.to);
  const source = options.from
    ? parseClusterRef(options.from)
    : { namespace: target.namespace, name: parsedId.cluster };
  if (source.name !== parsedId.cluster) {
    throw new Error(`backup ${backupId} is of a cluster named ${parsedId.cluster}, not ${source.name}`);
  }
  const input: RestoreInput = { backupId, source, target, overwriteTopics: options.overwriteTopics };
  return withClient(options, async (client) => {
    // The restore runs on the task queue of the operator that manages the target.
    const taskQueue = await client.workflow
      .getHandle(clusterWorkflowId(target.namespace, target.name))
      .describe()
      .then(
        (d) => d.taskQueue,
        () => {
          throw new Error(
            `no operator manages ${target.namespace}/${target.name} (its workflow was not found)`,
          );
        },
      );
    try {
      const report = (await client.workflow.execute('restoreWorkflow', {
        workflowId: restoreWorkflowId(target.namespace, target.name, backupId),
        taskQueue,
        args: [input],
      })) as RestoreReport;
      return formatReport(report, target);
    } catch (err) {
      if (err instanceof WorkflowFailedError) throw new Error(rootCause(err), { cause: err });
      if (err instanceof WorkflowExecutionAlreadyStartedError)
        throw new Error(`a restore of ${backupId} into ${options.to} is already running`, { cause: err });
      throw err;
    }
  });
}

export function formatReport(report: RestoreReport, target: { namespace: string; name: string }): string {
  const lines = [
    `restored ${report.backupId} into ${target.namespace}/${target.name}:`,
    `  topics created:  ${report.topicsCreated}`,
    ...(report.topicsReplaced.length > 0 ? [`  topics replaced: ${report.topicsReplaced.join(', ')}`] : []),
    `  records:         ${report.records}`,
    `  ACLs:            ${report.acls}`,
    `  group offsets:   ${report.offsets} in ${report.groups} group(s)`,
  ];
  for (const s of report.offsetsSkipped)
    lines.push(
      `  not restored:    ${s.group} offsets of ${s.topic} (${s.partitions} partitions; its records are not in the backup)`,
    );
  const configs = Object.entries(report.brokerConfigsNotApplied);
  if (configs.length > 0)
    lines.push(
      `  broker configs in the backup that spec.config does not set that way (not applied; the spec owns them): ${configs
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}`,
    );
  return lines.join('\n');
}
