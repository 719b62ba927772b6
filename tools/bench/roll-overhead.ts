// Roll overhead: a forced roll of a 3- and a 5-broker cluster with a
// replicated topic under data; its total time minus each broker's own restart
// and catch-up (from its restartNode activity's start until a metadata
// sampler sees the node back in every ISR it belongs to), per broker.
import { Admin } from '@platformatic/kafka';
import { setTimeout as sleep } from 'node:timers/promises';
import { clusterWorkflowId, rollUpdate } from '../../src/workflows/messages.ts';
import {
  deleteClusters,
  median,
  millis,
  readCluster,
  round,
  startProcess,
  type Bench,
  type Figure,
} from './context.ts';
import { loadTopic, startLoadedCluster } from './loaded-cluster.ts';

export async function measureRollOverhead(bench: Bench, brokers: number): Promise<Figure> {
  const operator = await startProcess(bench, 'operator', `bench-roll-${brokers}`);
  try {
    return await rollOverhead(bench, brokers);
  } finally {
    // Torn down by the operator (the finalizer is its), so before it stops.
    await deleteClusters(bench);
    await operator.stop();
  }
}

async function rollOverhead(bench: Bench, brokers: number): Promise<Figure> {
  const name = `roll${brokers}`;
  const bootstrap = await startLoadedCluster(bench, name, brokers);
  const admin = new Admin({ clientId: 'keelson-bench', bootstrapBrokers: bootstrap });

  // Which nodes are in every ISR they belong to, sampled every 200 ms through the roll.
  const samples: { at: number; inSync: Set<number> }[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const at = Date.now();
      const metadata = await admin
        .metadata({ topics: [loadTopic], forceUpdate: true })
        .catch(() => undefined);
      const partitions = metadata?.topics.get(loadTopic)?.partitions ?? [];
      if (partitions.length > 0) {
        const ids = [...new Set(partitions.flatMap((p) => p.replicas))];
        samples.push({
          at,
          inSync: new Set(
            ids.filter((id) => partitions.every((p) => !p.replicas.includes(id) || p.isr.includes(id))),
          ),
        });
      }
      await sleep(200);
    }
  })();

  const handle = bench.client.workflow.getHandle(clusterWorkflowId(bench.namespace, name));
  await handle.executeUpdate(rollUpdate, { args: [{ reason: 'benchmark' }] });
  let rollId: string;
  for (;;) {
    const last = (await readCluster(bench, name)).status?.lastOperation;
    if (last?.type === 'roll' && last.workflowId.includes('forced')) {
      if (last.result !== 'Succeeded') throw new Error(`the benchmark roll ended ${last.result}`);
      rollId = last.workflowId;
      break;
    }
    await sleep(500);
  }
  sampling = false;
  await sampler;
  await admin.close();

  const events = (await bench.client.workflow.getHandle(rollId).fetchHistory()).events ?? [];
  const startedAt = millis(events[0]?.eventTime);
  const endedAt = millis(events.at(-1)?.eventTime);
  const own: number[] = [];
  const timeline: { label: string; start: number; end: number }[] = [];
  for (const scheduled of events.filter(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'restartNode',
  )) {
    const input = JSON.parse(
      Buffer.from(
        scheduled.activityTaskScheduledEventAttributes?.input?.payloads?.[0]?.data ?? [],
      ).toString(),
    ) as { pod: { metadata: { labels: Record<string, string> } } };
    const nodeId = Number(input.pod.metadata.labels['keelson.dev/node-id']);
    const completed = events.find(
      (e) =>
        Number(e.activityTaskCompletedEventAttributes?.scheduledEventId ?? -1) === Number(scheduled.eventId),
    );
    const back = samples.find((s) => s.at >= millis(completed?.eventTime) && s.inSync.has(nodeId));
    own.push((back?.at ?? endedAt) - millis(scheduled.eventTime));
    timeline.push({
      label: `node ${nodeId}: restart, back in sync`,
      start: millis(scheduled.eventTime),
      end: back?.at ?? endedAt,
    });
  }
  const total = endedAt - startedAt;
  const ownTotal = own.reduce((a, b) => a + b, 0);
  return {
    name: `roll overhead, ${brokers} brokers`,
    unit: 's per broker',
    value: round((total - ownTotal) / brokers / 1000),
    anchor: 'target ≤ 3 s per broker',
    detail: `roll ${round(total / 1000)} s; brokers' own restart + catch-up ${round(ownTotal / 1000)} s (median ${round(median(own) / 1000)} s each, ${own.length} restarts)`,
    timeline: [{ label: 'the roll', start: startedAt, end: endedAt }, ...timeline],
  };
}
