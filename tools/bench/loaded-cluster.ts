// A running KafkaCluster with data: `brokers` combined nodes and a 12-partition
// RF 3 topic `load` holding 20,000 acked 1 KiB records, so a restarted broker
// has something to catch up on.
import { Admin, Producer, ProduceAcks } from '@platformatic/kafka';
import { setTimeout as sleep } from 'node:timers/promises';
import { clusterReady, createCluster, pausedSpec, type Bench } from './context.ts';

export const loadTopic = 'load';

/** Creates the cluster, waits until it is Ready and loads it; returns its brokers' addresses. */
export async function startLoadedCluster(bench: Bench, name: string, brokers: number): Promise<string[]> {
  await createCluster(bench, name, {
    ...pausedSpec,
    paused: false,
    nodePools: [{ ...pausedSpec.nodePools[0], replicas: brokers }],
  });
  await clusterReady(bench, name, 1);
  const bootstrap = await brokerAddresses(bench, name);
  const admin = new Admin({ clientId: 'keelson-bench', bootstrapBrokers: bootstrap });
  await admin.createTopics({ topics: [loadTopic], partitions: 12, replicas: 3 });
  await admin.close();
  await sleep(2_000);
  const producer = new Producer({ clientId: 'keelson-bench', bootstrapBrokers: bootstrap });
  for (let batch = 0; batch < 100; batch++) {
    await producer.send({
      acks: ProduceAcks.ALL,
      messages: Array.from({ length: 200 }, (_, i) => ({
        topic: loadTopic,
        key: Buffer.from(String(batch * 200 + i)),
        value: Buffer.alloc(1024, i),
      })),
    });
  }
  await producer.close();
  return bootstrap;
}

export async function brokerAddresses(bench: Bench, name: string): Promise<string[]> {
  const pods = await bench.core.listNamespacedPod({
    namespace: bench.namespace,
    labelSelector: `keelson.dev/cluster=${name}`,
  });
  return pods.items.map((p) => `${p.status?.podIP}:9092`);
}
