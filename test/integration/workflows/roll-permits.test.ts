// The operator-wide roll limit on the real Temporal server: with a limit of
// one, permits go out first come, first served; a released permit passes to
// the next in line; a holder that ends without releasing (terminated) loses
// its permit at the next holder check, so a crashed roll cannot block every
// other cluster for good.
import { type Client, type WorkflowHandle } from '@temporalio/client';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createActivities } from '../../../src/activities/index.ts';
import {
  requestRollPermitSignal,
  rollPermitsQuery,
  rollPermitsWorkflowId,
} from '../../../src/workflows/messages.ts';
import { finishSignal, grantedQuery } from '../../fixtures/workflows/permit-holder.ts';
import { startInProcessWorker, type InProcessWorker } from '../../helpers/in-process-worker.ts';
import { adminKubeConfig, eventually } from '../../helpers/cluster.ts';

const workflowsPath = fileURLToPath(new URL('../../fixtures/workflows/permit-holder.ts', import.meta.url));

describe('roll permits', () => {
  const taskQueue = `permits-${Date.now()}`;
  let worker: InProcessWorker | undefined;
  let client: Client;

  before(async () => {
    worker = await startInProcessWorker({
      taskQueue,
      workflowsPath,
      activities: createActivities({ kube: adminKubeConfig(), maxConcurrentRolls: 1 }),
    });
    client = worker.client;
  });

  after(async () => {
    await client?.workflow
      .getHandle(rollPermitsWorkflowId(taskQueue))
      .terminate('test finished')
      .catch(() => undefined);
    await worker?.close();
  });

  it('lets one roll at a time through, in order, and frees the permit of a holder that died', async () => {
    const holders = ['a', 'b', 'c'].map((name) => `permit-holder/${taskQueue}/${name}`);
    const handles: WorkflowHandle[] = [];
    for (const workflowId of holders) {
      handles.push(await client.workflow.start('permitHolderWorkflow', { workflowId, taskQueue, args: [] }));
      // In order: each request reaches the permits workflow before the next starts.
      await eventually(`${workflowId} to be counted`, async () => {
        const permits = await client.workflow
          .getHandle(rollPermitsWorkflowId(taskQueue))
          .query(rollPermitsQuery)
          .catch(() => undefined);
        return permits && [...permits.holders, ...permits.waiting].includes(workflowId) ? true : undefined;
      });
    }
    const [a, b, c] = handles as [WorkflowHandle, WorkflowHandle, WorkflowHandle];
    const granted = () => Promise.all(handles.map((h) => h.query(grantedQuery)));
    await eventually('the first holder to be granted', async () => ((await granted())[0] ? true : undefined));
    assert.deepEqual(await granted(), [true, false, false]);
    const permits = client.workflow.getHandle(rollPermitsWorkflowId(taskQueue));
    assert.deepEqual(await permits.query(rollPermitsQuery), {
      limit: 1,
      holders: [holders[0]],
      waiting: [holders[1], holders[2]],
    });

    await a.signal(finishSignal);
    await a.result();
    await eventually('the second holder to be granted', async () =>
      (await granted())[1] ? true : undefined,
    );
    assert.equal((await c.query(grantedQuery)) as boolean, false, 'the third still waits');

    // The second dies holding its permit: the check that follows hands it on.
    await b.terminate('simulated crash of a roll');
    await eventually(
      'the third holder to be granted',
      async () => ((await c.query(grantedQuery)) ? true : undefined),
      90_000,
      1_000,
    );
    await c.signal(finishSignal);
    await c.result();
    assert.deepEqual(await permits.query(rollPermitsQuery), { limit: 1, holders: [], waiting: [] });
  });

  it('ignores a permit request without a valid limit, which would hold every roll for good', async () => {
    const permits = client.workflow.getHandle(rollPermitsWorkflowId(taskQueue));
    await permits.signal(requestRollPermitSignal, { holder: 'no-limit' } as never);
    await permits.signal(requestRollPermitSignal, { holder: 'nan-limit', limit: Number.NaN });
    await permits.signal(requestRollPermitSignal, { holder: 'zero-limit', limit: 0 });
    assert.deepEqual(await permits.query(rollPermitsQuery), { limit: 1, holders: [], waiting: [] });
  });
});
