// Broker pods created through the API server become a real KRaft cluster run
// by the node agent; deleting a pod stops its broker gracefully and a new pod
// for the same node id restarts it on the same data, losing nothing. Runs for
// every Kafka version the environment provides.
import { CoreV1Api } from '@kubernetes/client-node';
import { Admin } from '@platformatic/kafka';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { adminKubeConfig, createNamespace, env, eventually, setZoneOutage } from '../../helpers/cluster.ts';
import { consumeKeys, fullIsr, isReady, produce, readyPods } from '../../helpers/kafka.ts';
import {
  kafkaClaim,
  kafkaConfigMap,
  kafkaPod,
  kafkaService,
  newKafkaClusterId,
} from '../../helpers/kafka-pods.ts';

const brokers = 3;
const messages = 1_000;
const topic = 'acks-all';

for (const version of env.kafkaVersions) {
  describe(`Kafka ${version} brokers on the node agent`, () => {
    const core = adminKubeConfig().makeApiClient(CoreV1Api);
    const kafkaClusterId = newKafkaClusterId();
    let namespace = '';
    let bootstrapBrokers: string[] = [];
    let admin: Admin;

    before(async () => {
      namespace = await createNamespace(core, `kafka-${version.replaceAll('.', '-')}`);
      await core.createNamespacedConfigMap({ namespace, body: kafkaConfigMap(namespace, brokers) });
      await core.createNamespacedService({ namespace, body: kafkaService() });
      for (let id = 0; id < brokers; id++) {
        await core.createNamespacedPersistentVolumeClaim({ namespace, body: kafkaClaim(id) });
        await core.createNamespacedPod({ namespace, body: kafkaPod(id, version, kafkaClusterId) });
      }
      const pods = await readyPods(core, namespace, brokers);
      bootstrapBrokers = pods.map((pod) => `${pod.status?.podIP}:9092`);
      admin = new Admin({ clientId: 'testenv-admin', bootstrapBrokers });
    });

    after(async () => {
      await admin?.close();
      if (namespace) await core.deleteNamespace({ name: namespace });
    });

    it('places one broker in each zone, each on its own address', async () => {
      const pods = (await core.listNamespacedPod({ namespace })).items;
      assert.deepEqual(pods.map((p) => p.spec?.nodeName).sort(), [
        'node-zone-a',
        'node-zone-b',
        'node-zone-c',
      ]);
      assert.equal(new Set(pods.map((p) => p.status?.podIP)).size, brokers);
      const metadata = await admin.metadata({ forceUpdate: true });
      assert.deepEqual([...metadata.brokers.keys()].sort(), [0, 1, 2]);
    });

    it('keeps every acknowledged message when a broker pod is deleted and recreated', async () => {
      await admin.createTopics({
        topics: [topic],
        partitions: 3,
        replicas: 3,
        configs: [{ name: 'min.insync.replicas', value: '2' }],
      });
      await fullIsr(admin, topic, 3, brokers);

      await produce(bootstrapBrokers, topic, messages);

      const podLog = join(env.nodeAgent.podLogs, `${namespace}_kafka-1.log`);
      const startsBefore = readFileSync(podLog, 'utf8').split('Kafka Server started').length - 1;
      const claim = await core.readNamespacedPersistentVolumeClaim({ name: 'data-kafka-1', namespace });
      const volume = await core.readPersistentVolume({ name: claim.spec?.volumeName ?? '' });
      const dataDir = join(volume.spec?.hostPath?.path ?? '', 'logs');
      const metaBefore = readFileSync(join(dataDir, 'meta.properties'), 'utf8');

      const old = await core.readNamespacedPod({ name: 'kafka-1', namespace });
      await core.deleteNamespacedPod({ name: 'kafka-1', namespace });
      await eventually(
        'kafka-1 to be gone',
        async () => {
          const pods = (await core.listNamespacedPod({ namespace })).items;
          return pods.some((p) => p.metadata?.uid === old.metadata?.uid) ? undefined : true;
        },
        90_000,
      );
      const log = readFileSync(podLog, 'utf8');
      assert.match(
        log,
        /process exited \(code (0|143)/,
        'the broker stops on SIGTERM within its grace period',
      );

      await core.createNamespacedPod({ namespace, body: kafkaPod(1, version, kafkaClusterId) });
      await readyPods(core, namespace, brokers, 120_000);
      const startsAfter = readFileSync(podLog, 'utf8').split('Kafka Server started').length - 1;
      assert.equal(startsAfter, startsBefore + 1, 'a new broker process started');
      assert.equal(
        readFileSync(join(dataDir, 'meta.properties'), 'utf8'),
        metaBefore,
        'same, unformatted data dir',
      );
      assert.ok(existsSync(join(dataDir, `${topic}-0`)), 'the partition data survived on the volume');

      await fullIsr(admin, topic, 3, brokers);

      const seen = await consumeKeys(bootstrapBrokers, topic, messages);
      assert.equal(seen.size, messages);
    });

    it(
      'loses a zone: its broker is killed and stays down, then restarts on the same data',
      { skip: version !== env.kafkaVersions.at(-1) && 'one Kafka version is enough for the outage switch' },
      async () => {
        const podLog = join(env.nodeAgent.podLogs, `${namespace}_kafka-0.log`);
        const startsBefore = readFileSync(podLog, 'utf8').split('Kafka Server started').length - 1;
        await setZoneOutage(core, 'zone-a', true);
        try {
          await eventually('kafka-0 unready and node-zone-a NotReady', async () => {
            const pod = await core.readNamespacedPod({ name: 'kafka-0', namespace });
            const node = await core.readNode({ name: 'node-zone-a' });
            const nodeReady = node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
            return !isReady(pod) && nodeReady === 'Unknown' ? true : undefined;
          });
          await eventually('the broker process to be gone', async () =>
            /process exited \(code \w+, signal SIGKILL\)\s*$/.test(readFileSync(podLog, 'utf8'))
              ? true
              : undefined,
          );
          // Kafka sees it too: the other brokers shrink the ISR without it.
          await eventually(
            'kafka-0 out of every ISR',
            async () => {
              const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
              const parts = metadata.topics.get(topic)?.partitions ?? [];
              return parts.length === 3 && parts.every((p) => !p.isr.includes(0)) ? true : undefined;
            },
            60_000,
          );
        } finally {
          await setZoneOutage(core, 'zone-a', false);
        }
        await readyPods(core, namespace, brokers, 120_000);
        const startsAfter = readFileSync(podLog, 'utf8').split('Kafka Server started').length - 1;
        assert.equal(startsAfter, startsBefore + 1, 'the broker started again once the zone was back');
        await fullIsr(admin, topic, 3, brokers);
        const seen = await consumeKeys(bootstrapBrokers, topic, messages);
        assert.equal(seen.size, messages);
      },
    );
  });
}
