// Change-to-action latency: a KafkaCluster update → the watcher's spec signal
// → the workflow task → the first activity of the pass it starts, per hop,
// from Temporal's own event times. The change counts from the API server's
// answer to the update (it is stored: the operator cannot see it earlier);
// the write itself (the bench's client → API server → etcd) is shown apart,
// and a total that includes it.
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
  const toAnswer: number[] = [];
  const toSignal: number[] = [];
  const toTask: number[] = [];
  const toActivity: number[] = [];
  const total: number[] = [];
  const totalWithWrite: number[] = [];
  let missed = 0;
  for (let i = 0; i < bench.settings.updates; i++) {
    // When the update was sent (the same clock as Temporal's event times: one machine).
    const changedAt = Date.now();
    const generation = await patchCluster(bench, 'latency', [
      { op: 'replace', path: '/spec/rollout/delayBetweenRestarts', value: `${(i % 50) + 1}s` },
    ]);
    const answeredAt = Date.now();
    // The next update only once this pass has finished, so that each is measured on its own. The
    // times come from Temporal's events, read once the pass is over: polling the history while
    // it runs would compete for the same two cores.
    while (((await readCluster(bench, 'latency')).status?.observedGeneration ?? 0) < generation)
      await sleep(25);
    const events = (await handle.fetchHistory()).events ?? [];
    const signalIndex = specSignalIndex(events, generation);
    const later = signalIndex >= 0 ? events.slice(signalIndex + 1) : [];
    const task = later.find((e) => e.workflowTaskStartedEventAttributes);
    const activity = later.find((e) => e.activityTaskStartedEventAttributes);
    if (signalIndex < 0 || !task || !activity) {
      missed++; // the workflow continued as new in between: the pass is in the previous run
      continue;
    }
    const signalAt = millis(events[signalIndex]?.eventTime);
    toAnswer.push(answeredAt - changedAt);
    toSignal.push(signalAt - answeredAt);
    toTask.push(millis(task.eventTime) - signalAt);
    toActivity.push(millis(activity.eventTime) - millis(task.eventTime));
    total.push(millis(activity.eventTime) - answeredAt);
    totalWithWrite.push(millis(activity.eventTime) - changedAt);
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
      ...hop(`change-to-action, ${bench.settings.updates} updates (update stored → first activity)`, total),
      anchor: 'Go 82 ms, .NET 136 ms (average); target p50 ≤ 50, p99 ≤ 250',
      detail: `${total.length} passes measured${missed > 0 ? `, ${missed} left out (in an earlier run of the workflow)` : ''}`,
      samples: total.map((ms) => round(ms)),
    },
    hop('  hop: update stored → spec signal recorded (watch event, watcher, signal)', toSignal),
    hop('  hop: signal → workflow task started', toTask),
    hop('  hop: workflow task → first activity started', toActivity),
    hop('  the update itself: sent → API server answers (not the operator)', toAnswer),
    hop('change-to-action including the update itself (sent → first activity)', totalWithWrite),
  ];
}
