// Each KafkaCluster with spec.backup has one Temporal Schedule that starts
// its backup workflows: at the spec's cron times, and on demand (`keelson
// backup now`, the keelson.dev/backup annotation, the backup Update), which
// triggers the same schedule. Every backup of a cluster going through one
// schedule whose overlap policy keeps one running is what lets a backup
// treat any other unfinished backup directory as abandoned.
import { ApplicationFailure, Context } from '@temporalio/activity';
import {
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type ScheduleOptionsAction,
  type ScheduleSpec,
} from '@temporalio/client';
import { parseDurationMs } from '../../crd/duration.ts';
import { rootCause } from '../../domain/failure-message.ts';
import {
  backupScheduleId,
  backupWorkflowIdPrefix,
  restoreDrillScheduleId,
} from '../../workflows/messages.ts';

export interface BackupScheduleInput {
  namespace: string;
  name: string;
  /** undefined: the cluster has no spec.backup, so no schedule. */
  backup: { schedule?: string; restoreDrill?: { schedule?: string } } | undefined;
  /** Start a backup now (after making sure the schedule exists). */
  trigger?: boolean;
}

/** Cron fields are read in UTC, as spec.backup.schedule documents; "@every 6h" is an interval. */
export function scheduleSpec(schedule: string | undefined): ScheduleSpec {
  if (!schedule) return {};
  const every = /^@every (.+)$/.exec(schedule)?.[1];
  return every ? { intervals: [{ every: parseDurationMs(every) }] } : { cronExpressions: [schedule] };
}

export function backupScheduleActivities() {
  return {
    /** Creates, updates or deletes the cluster's backup schedule to match the spec; triggers it when asked. */
    async syncBackupSchedule(input: BackupScheduleInput): Promise<{ scheduleId: string; exists: boolean }> {
      return refusedAsInvalidSpec(input.backup?.schedule, () => syncSchedule(input));
    },
  };
}

async function syncSchedule(input: BackupScheduleInput): Promise<{ scheduleId: string; exists: boolean }> {
  const context = Context.current();
  const client = context.client.schedule;
  const scheduleId = backupScheduleId(input.namespace, input.name);
  const handle = client.getHandle(scheduleId);
  if (!input.backup) {
    await handle.delete().catch((err: unknown) => {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    });
    await syncRestoreDrillSchedule(input);
    return { scheduleId, exists: false };
  }
  const spec = scheduleSpec(input.backup.schedule);
  const action: ScheduleOptionsAction = {
    type: 'startWorkflow',
    workflowType: 'backupWorkflow',
    workflowId: backupWorkflowIdPrefix(input.namespace, input.name),
    taskQueue: context.info.taskQueue,
    args: [{ namespace: input.namespace, name: input.name }],
  };
  const note = input.backup.schedule
    ? `backups of KafkaCluster ${input.namespace}/${input.name} at "${input.backup.schedule}" (UTC)`
    : `on-demand backups of KafkaCluster ${input.namespace}/${input.name}`;
  try {
    await handle.update((previous) => ({
      ...previous,
      spec,
      action,
      state: { ...previous.state, note },
    }));
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    await client.create({
      scheduleId,
      spec,
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '10 minutes' },
      state: { note },
    });
  }
  await syncRestoreDrillSchedule(input);
  // A backup asked for while one runs starts when it ends (one at a time per cluster).
  if (input.trigger) await handle.trigger(ScheduleOverlapPolicy.BUFFER_ONE);
  return { scheduleId, exists: true };
}

/**
 * The cluster's restore drills have a schedule of their own, while
 * spec.backup.restoreDrill is set: at its cron times, and triggered by
 * `keelson backup drill`. One drill at a time (they share a scratch cluster).
 */
async function syncRestoreDrillSchedule(input: BackupScheduleInput): Promise<void> {
  const context = Context.current();
  const client = context.client.schedule;
  const handle = client.getHandle(restoreDrillScheduleId(input.namespace, input.name));
  const drill = input.backup?.restoreDrill;
  if (!drill) {
    await handle.delete().catch((err: unknown) => {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    });
    return;
  }
  const spec = scheduleSpec(drill.schedule);
  const action: ScheduleOptionsAction = {
    type: 'startWorkflow',
    workflowType: 'restoreDrillWorkflow',
    workflowId: restoreDrillScheduleId(input.namespace, input.name),
    taskQueue: context.info.taskQueue,
    args: [{ namespace: input.namespace, name: input.name }],
  };
  const note = drill.schedule
    ? `restore drills of KafkaCluster ${input.namespace}/${input.name} at "${drill.schedule}" (UTC)`
    : `on-demand restore drills of KafkaCluster ${input.namespace}/${input.name}`;
  try {
    await handle.update((previous) => ({ ...previous, spec, action, state: { ...previous.state, note } }));
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    await client.create({
      scheduleId: restoreDrillScheduleId(input.namespace, input.name),
      spec,
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '10 minutes' },
      state: { note },
    });
  }
}

/**
 * The Temporal server refuses a schedule it cannot parse (INVALID_ARGUMENT,
 * which the schedule client rethrows as a TypeError; and a TypeError is also
 * what the client throws for a spec it cannot encode): that comes from the
 * spec, so no retry can cure it. It becomes a non-retryable InvalidSpec
 * failure, which the cluster workflow reports as the InvalidSpec condition
 * until the spec changes.
 */
async function refusedAsInvalidSpec<T>(schedule: string | undefined, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    throw ApplicationFailure.nonRetryable(
      `the Temporal server refused the schedule "${schedule ?? ''}": ${rootCause(err)}`,
      'InvalidSpec',
    );
  }
}
