// Each KafkaCluster with spec.backup has one Temporal Schedule that starts
// its backup workflows: at the spec's cron times, and on demand (`keelson
// backup now`, the keelson.dev/backup annotation, the backup Update), which
// triggers the same schedule. Every backup of a cluster going through one
// schedule whose overlap policy keeps one running is what lets a backup
// treat any other unfinished backup directory as abandoned.
import { Context } from '@temporalio/activity';
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
} from '../../domain/workflow-ids.ts';
import { failure } from '../../domain/failures.ts';

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
  const scheduleId = backupScheduleId(input.namespace, input.name);
  const cluster = `KafkaCluster ${input.namespace}/${input.name}`;
  await applySchedule(
    scheduleId,
    input.backup && {
      workflowType: 'backupWorkflow',
      workflowId: backupWorkflowIdPrefix(input.namespace, input.name),
      args: [{ namespace: input.namespace, name: input.name }],
      schedule: input.backup.schedule,
      what: `backups of ${cluster}`,
    },
  );
  // Restore drills have a schedule of their own while spec.backup.restoreDrill is set: at its
  // times, and triggered by `keelson backup drill`. One at a time (they share a scratch cluster).
  const drill = input.backup?.restoreDrill;
  await applySchedule(
    restoreDrillScheduleId(input.namespace, input.name),
    drill && {
      workflowType: 'restoreDrillWorkflow',
      workflowId: restoreDrillScheduleId(input.namespace, input.name),
      args: [{ namespace: input.namespace, name: input.name }],
      schedule: drill.schedule,
      what: `restore drills of ${cluster}`,
    },
  );
  // A backup asked for while one runs starts when it ends (one at a time per cluster).
  if (input.backup && input.trigger)
    await Context.current().client.schedule.getHandle(scheduleId).trigger(ScheduleOverlapPolicy.BUFFER_ONE);
  return { scheduleId, exists: input.backup !== undefined };
}

/**
 * Creates or updates a schedule that starts one workflow at a time at the
 * given times (none: only when triggered), or deletes it when not wanted.
 */
async function applySchedule(
  scheduleId: string,
  wanted:
    | {
        workflowType: string;
        workflowId: string;
        args: unknown[];
        schedule: string | undefined;
        what: string;
      }
    | undefined,
): Promise<void> {
  const context = Context.current();
  const client = context.client.schedule;
  const handle = client.getHandle(scheduleId);
  if (!wanted) {
    await handle.delete().catch((err: unknown) => {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    });
    return;
  }
  const spec = scheduleSpec(wanted.schedule);
  const action: ScheduleOptionsAction = {
    type: 'startWorkflow',
    workflowType: wanted.workflowType,
    workflowId: wanted.workflowId,
    taskQueue: context.info.taskQueue,
    args: wanted.args,
  };
  const note = wanted.schedule ? `${wanted.what} at "${wanted.schedule}" (UTC)` : `on-demand ${wanted.what}`;
  try {
    await handle.update((previous) => ({ ...previous, spec, action, state: { ...previous.state, note } }));
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
    throw failure(
      'InvalidSpec',
      `the Temporal server refused the schedule "${schedule ?? ''}": ${rootCause(err)}`,
    );
  }
}
