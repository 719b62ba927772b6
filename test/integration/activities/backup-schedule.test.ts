// Backup schedules against the real Temporal server: every boundary schedule
// the spec accepts is one the server takes, and one the server refuses comes
// back as a non-retryable InvalidSpec failure (never retried forever).
import { Client, Connection } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { backupScheduleActivities, scheduleSpec } from '../../../src/activities/temporal/backup-schedule.ts';
import { scheduleProblem } from '../../../src/crd/backup-schedule.ts';
import { backupScheduleId } from '../../../src/workflows/messages.ts';
import { env } from '../../helpers/cluster.ts';

describe('backup schedules on the Temporal server', () => {
  let connection: Connection;
  let client: Client;
  const namespace = `schedules-${Date.now().toString(36)}`;

  before(async () => {
    connection = await Connection.connect({ address: env.temporal.address });
    client = new Client({ connection, namespace: env.temporal.namespace });
  });
  after(async () => {
    await connection?.close();
  });

  // The edges of what admission and zod let through.
  const accepted = [
    '0 3 * * *',
    '59 23 31 12 6',
    '*/15 1-5 * JAN-MAR MON-FRI',
    '0,30 0-23/2 1-31/3 1-12 0-6',
    '5 4 * jan-dec sun-sat',
    '@every 10s',
    '@every 8760h',
    '@every 1h30m',
  ];
  for (const [i, schedule] of accepted.entries()) {
    it(`takes "${schedule}", as the spec does`, async () => {
      assert.equal(scheduleProblem(schedule), undefined);
      const scheduleId = backupScheduleId(namespace, `accepted-${i}`);
      const handle = await client.schedule.create({
        scheduleId,
        spec: scheduleSpec(schedule),
        action: { type: 'startWorkflow', workflowType: 'backupWorkflow', taskQueue: 'nowhere', args: [] },
        state: { paused: true },
      });
      const description = await handle.describe();
      assert.ok(description.info.nextActionTimes.length > 0 || description.state.paused);
      await handle.delete();
    });
  }

  it('turns a schedule the server refuses into a non-retryable InvalidSpec failure', async () => {
    const activity = new MockActivityEnvironment({ taskQueue: 'nowhere' }, { client });
    const { syncBackupSchedule } = backupScheduleActivities();
    await assert.rejects(
      activity.run(syncBackupSchedule, {
        namespace,
        name: 'refused',
        backup: { schedule: '61 * * * *' }, // past every check, as from an old CRD
      }),
      (err: { type?: string; nonRetryable?: boolean; message: string }) => {
        assert.equal(err.type, 'InvalidSpec');
        assert.equal(err.nonRetryable, true);
        assert.match(err.message, /refused the schedule "61 \* \* \* \*"/);
        return true;
      },
    );
    await assert.rejects(client.schedule.getHandle(backupScheduleId(namespace, 'refused')).describe());
  });
});
