// Change-to-action latency: a KafkaCluster update → the watcher's spec signal
// → the workflow task → the first activity of the pass it starts, per hop,
// from the API server's and Temporal's own timestamps.
import { setTimeout as sleep } from 'node:timers/promises';
import { clusterWorkflowId } from '../../src/workflows/messages.ts';
import {
  createClusters,
  deleteClusters,
  median,
  millis,
  patchCluster,
  percentile,
  readCluster,
  round,
  startProcess,
  waitObserved,
  type Bench,
  type Figure,
} from './context.ts';
import { specSignalIndex } from './spec-signal.ts';

export async function measureChangeToAction(bench: Bench): Promise<Figure[]> {
  const operator = await startProcess(bench, 'operator', 'bench-latency');
  await createClusters(bench, ['latency']);
  await waitObserved(bench, 1);
  const handle = bench.client.workflow.getHandle(clusterWorkflowId(bench.namespace, 'latency'));
  const toSignal: number[] = [];
  const toTask: number[] = [];
  const toActivity: number[] = [];
  const total: number[] = [];
  for (let i = 0; i < bench.settings.updates; i++) {
    // When the update was sent (the same clock as Temporal's event times: one machine).
    const changedAt = Date.now();
    const generation = await patchCluster(bench, 'latency', [
      { op: 'replace', path: '/spec/rollout/delayBetweenRestarts', value: `${(i % 50) + 1}s` },
    ]);
    for (;;) {
      const events = (await handle.fetchHistory()).events ?? [];
      const signalIndex = specSignalIndex(events, generation);
      const later = signalIndex >= 0 ? events.slice(signalIndex + 1) : [];
      const task = later.find((e) => e.workflowTaskStartedEventAttributes);
      const activity = later.find((e) => e.activityTaskStartedEventAttributes);
      if (signalIndex >= 0 && task && activity) {
        const signalAt = millis(events[signalIndex]?.eventTime);
        toSignal.push(signalAt - changedAt);
        toTask.push(millis(task.eventTime) - signalAt);
        toActivity.push(millis(activity.eventTime) - millis(task.eventTime));
        total.push(millis(activity.eventTime) - changedAt);
        break;
      }
      await sleep(10);
    }
    // The next update only once this pass has finished, so that each is measured on its own.
    while (((await readCluster(bench, 'latency')).status?.observedGeneration ?? 0) < generation)
      await sleep(10);
  }
  const hop = (name: string, values: number[]): Figure => ({
    name,
    unit: 'ms',
    median: round(median(values)),
    p99: round(percentile(values, 99)),
    anchor: '',
  });
  await handle.terminate('bench finished').catch(() => undefined);
  await deleteClusters(bench);
  await operator.stop();
  return [
    {
      ...hop(`change-to-action, ${bench.settings.updates} updates`, total),
      anchor: 'Go 82 ms, .NET 136 ms (average); target p50 ≤ 50, p99 ≤ 250',
    },
    hop('  hop: update → spec signal recorded (watcher)', toSignal),
    hop('  hop: signal → workflow task started', toTask),
    hop('  hop: workflow task → first activity started', toActivity),
  ];
}
