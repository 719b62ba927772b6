// KafkaTopics at scale (full mode): a running 3-broker cluster under
// `keelson operator`, then N KafkaTopics (1 partition, 3 replicas, one
// config) applied at once; the time from the first create until every one is
// Ready, the operator's resident memory before and after, and where the time
// went: applying the objects, the passes of the topics workflow (its
// reconcileTopics activities, from its history) and the rest.
import { defaultPayloadConverter } from '@temporalio/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TopicsOutcome } from '../../src/activities/kafka/topics.ts';
import { group, topicPlural, version } from '../../src/crd/kafka-topic.ts';
import { topicsWorkflowId } from '../../src/domain/workflow-ids.ts';
import {
  clusterReady,
  createCluster,
  deleteClusters,
  pausedSpec,
  residentMegabytes,
  round,
  startProcess,
  type Bench,
  type Figure,
} from './context.ts';

const cluster = 'topics';

interface TopicList {
  items: { status?: { conditions?: { type: string; status: string }[] } }[];
}

export async function measureTopics(bench: Bench, count: number): Promise<Figure[]> {
  const operator = await startProcess(bench, 'operator', `bench-topics-${count}`);
  try {
    await createCluster(bench, cluster, { ...pausedSpec, paused: false });
    await clusterReady(bench, cluster, 1);
    await sleep(5_000);
    const before = await residentMegabytes(operator.url);

    const started = Date.now();
    const names = Array.from({ length: count }, (_, i) => `t${String(i).padStart(4, '0')}`);
    for (let i = 0; i < names.length; i += 50) {
      await Promise.all(
        names.slice(i, i + 50).map((name) =>
          bench.custom.createNamespacedCustomObject({
            group,
            version,
            plural: topicPlural,
            namespace: bench.namespace,
            body: {
              apiVersion: `${group}/${version}`,
              kind: 'KafkaTopic',
              metadata: { name },
              spec: { cluster, partitions: 1, replicas: 3, config: { 'retention.ms': 86_400_000 } },
            },
          }),
        ),
      );
    }
    const appliedMs = Date.now() - started;
    let ready = 0;
    for (;;) {
      const listed = (await bench.custom.listNamespacedCustomObject({
        group,
        version,
        plural: topicPlural,
        namespace: bench.namespace,
      })) as TopicList;
      ready = listed.items.filter((t) =>
        t.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      ).length;
      if (ready === count) break;
      if (Date.now() - started > 30 * 60_000) throw new Error(`only ${ready} of ${count} KafkaTopics Ready`);
      await sleep(250);
    }
    const allReadyMs = Date.now() - started;
    const after = await residentMegabytes(operator.url);

    // The passes of the topics workflow while the topics were created.
    const history = await bench.client.workflow
      .getHandle(topicsWorkflowId(bench.namespace, cluster))
      .fetchHistory();
    const passes: string[] = [];
    for (const e of history.events ?? []) {
      const payload = e.activityTaskCompletedEventAttributes?.result?.payloads?.[0];
      if (!payload) continue;
      const outcome = defaultPayloadConverter.fromPayload<TopicsOutcome>(payload);
      const t = outcome.timings;
      if (t)
        passes.push(
          `${round((t.readMs + t.kafkaMs + t.writeMs) / 1000)} s (read ${round(t.readMs / 1000)}, Kafka ${round(t.kafkaMs / 1000)}, statuses ${round(t.writeMs / 1000)}; ${outcome.ready} ready)`,
        );
    }
    return [
      {
        name: `${count} KafkaTopics applied at once → all Ready`,
        unit: 's',
        value: round(allReadyMs / 1000),
        anchor: 'one topics workflow per cluster, batched Admin calls',
        detail: `applying them took ${round(appliedMs / 1000)} s; ${passes.length} passes: ${passes.join('; ')}`,
      },
      {
        name: `operator resident memory, 1 cluster with ${count} KafkaTopics`,
        unit: 'MB',
        value: after,
        anchor: `${before} MB with the cluster and no KafkaTopic`,
      },
    ];
  } finally {
    await bench.custom
      .deleteCollectionNamespacedCustomObject({
        group,
        version,
        plural: topicPlural,
        namespace: bench.namespace,
      })
      .catch(() => undefined);
    await sleep(5_000);
    await deleteClusters(bench);
    await operator.stop();
  }
}
