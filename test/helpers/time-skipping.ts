// Temporal's time-skipping test server and a worker on it running the real
// workflow bundle with fake activities: for workflow tests without the real
// servers, where hours of timers pass in milliseconds.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import proto from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { searchAttributes } from '../../src/workflows/search-attributes.ts';
import { pino } from 'pino';
import { workflowBundle } from '../../src/operator/workflow-bundle.ts';
import { ensureTestServer, testServerBin } from '../../tools/testenv/src/build.ts';
import type { FakeActivities } from '../workflows/fakes/fake-cluster.ts';

let runtimeInstalled = false;

/** Starts the test server (downloaded on first use, like the environment's other tools). */
export async function timeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  await ensureTestServer();
  // The SDK logs every worker state change and each failed activity attempt; the tests say what matters.
  if (!runtimeInstalled) Runtime.install({ logger: new DefaultLogger('ERROR') });
  runtimeInstalled = true;
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testServerBin } },
  });
  // Keelson's workflows set these; a server without them fails every workflow task that does.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      Object.values(searchAttributes).map((a) => [
        a.name,
        proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      ]),
    ),
  });
  return env;
}

let bundle: Awaited<ReturnType<typeof workflowBundle>> | undefined;

export async function fakeActivityWorker(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  activities: FakeActivities,
): Promise<Worker> {
  bundle ??= await workflowBundle(pino({ level: 'silent' }));
  return Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: bundle,
    activities,
  });
}

/**
 * Lets workflow time pass in steps of `step` until `done` holds: each step
 * skips the test server's clock forward (firing due timers) and gives the
 * worker a moment of real time to run what woke.
 */
export async function passTimeUntil<T>(
  env: TestWorkflowEnvironment,
  what: string,
  done: () => T | undefined | false,
  options: { step?: string; maxSteps?: number } = {},
): Promise<T> {
  const maxSteps = options.maxSteps ?? 500;
  for (let i = 0; i < maxSteps; i++) {
    const value = done();
    if (value) return value;
    await env.sleep(options.step ?? '1s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`${what}: not after ${maxSteps} steps of ${options.step ?? '1s'}`);
}
