// The local Temporal dev server runs workflows durably: a workflow whose
// worker process is killed mid-way finishes on a new worker, from where it was.
import { Client, Connection } from '@temporalio/client';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { env, eventually } from '../../helpers/cluster.ts';
import { proceedSignal, resumableWorkflow } from './fixtures/resumable-workflow.ts';

const workerScript = fileURLToPath(new URL('./fixtures/resumable-worker.ts', import.meta.url));

async function startWorker(taskQueue: string): Promise<ChildProcess> {
  const worker = spawn(process.execPath, [workerScript, env.temporal.address, taskQueue], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The worker's own logs are kept for the failure message, not printed.
  let output = '';
  worker.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  worker.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  await eventually('the worker to poll', async () => {
    if (worker.exitCode !== null) throw new Error(`worker exited with ${worker.exitCode}:\n${output}`);
    return /^ready$/m.test(output) || undefined;
  });
  return worker;
}

describe('local Temporal server', () => {
  let connection: Connection;
  let client: Client;
  const workers: ChildProcess[] = [];

  before(async () => {
    connection = await Connection.connect({ address: env.temporal.address });
    client = new Client({ connection, namespace: env.temporal.namespace });
  });

  after(async () => {
    for (const worker of workers) if (worker.exitCode === null) worker.kill('SIGKILL');
    await connection.close();
  });

  it('resumes a workflow on a new worker after its worker process is killed', async () => {
    const taskQueue = `resumable-${Date.now()}`;
    const first = await startWorker(taskQueue);
    workers.push(first);
    const handle = await client.workflow.start(resumableWorkflow, {
      taskQueue,
      workflowId: `resumable-${Date.now()}`,
    });

    await eventually('the first activity to complete', async () => {
      const history = await handle.fetchHistory();
      return history.events?.some((e) => e.activityTaskCompletedEventAttributes) || undefined;
    });
    first.kill('SIGKILL');
    await once(first, 'exit');

    await handle.signal(proceedSignal);
    const second = await startWorker(taskQueue);
    workers.push(second);

    const result = await handle.result();
    assert.deepEqual(result.first, { step: 'first', pid: first.pid });
    assert.deepEqual(result.second, { step: 'second', pid: second.pid });
    const activityRuns = (await handle.fetchHistory()).events?.filter(
      (e) => e.activityTaskScheduledEventAttributes,
    );
    assert.equal(activityRuns?.length, 2, 'each activity is scheduled exactly once');
  });
});
