// What Kafka itself says about a cluster, asked of each broker: whether every
// broker runs with a config value, and how many brokers the cluster has. An
// operation of the bench counts as done only when these agree with it.
import { Admin, ConfigResourceTypes } from '@platformatic/kafka';
import type { Bench } from './context.ts';

async function brokerPods(bench: Bench, cluster: string) {
  const pods = await bench.core.listNamespacedPod({
    namespace: bench.namespace,
    labelSelector: `keelson.dev/cluster=${cluster}`,
  });
  return pods.items;
}

/** A client of one broker alone, giving up at once: a broker that does not answer counts as not there yet. */
const brokerAdmin = (podIP: string | undefined) =>
  new Admin({ clientId: 'keelson-bench', bootstrapBrokers: [`${podIP}:9092`], retries: 0, timeout: 5_000 });

/** Whether every broker of `cluster` reports `value` for `key` (asked of each broker itself). */
export async function inEffect(bench: Bench, cluster: string, key: string, value: string): Promise<boolean> {
  for (const pod of await brokerPods(bench, cluster)) {
    const nodeId = pod.metadata?.labels?.['keelson.dev/node-id'];
    const admin = brokerAdmin(pod.status?.podIP);
    try {
      const [description] = await admin.describeConfigs({
        resources: [
          { resourceType: ConfigResourceTypes.BROKER, resourceName: nodeId ?? '', configurationKeys: [key] },
        ],
      });
      if (description?.configs.find((c) => c.name === key)?.value !== value) return false;
    } catch {
      return false;
    } finally {
      await admin.close().catch(() => undefined);
    }
  }
  return true;
}

/** The brokers Kafka's metadata lists for `cluster`, asked of one of its brokers; undefined when none answers. */
export async function brokersInMetadata(bench: Bench, cluster: string): Promise<number | undefined> {
  for (const pod of await brokerPods(bench, cluster)) {
    const admin = brokerAdmin(pod.status?.podIP);
    try {
      return (await admin.metadata({ topics: [], forceUpdate: true })).brokers.size;
    } catch {
      continue;
    } finally {
      await admin.close().catch(() => undefined);
    }
  }
  return undefined;
}
