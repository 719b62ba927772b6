// The operator's Kafka admin activities against a real 3-node Kafka 3.9.1
// cluster on the node agent: cluster-wide dynamic configs set and removed
// without a restart, preferred leader election through our own ElectLeaders
// encoding, and the metadata.version raise refused while a node lacks support.
import { CoreV1Api } from '@kubernetes/client-node';
import {
  Admin,
  alterPartitionReassignmentsV0,
  ConfigResourceTypes,
  ConfigSources,
  Connection,
} from '@platformatic/kafka';
import { MockActivityEnvironment } from '@temporalio/testing';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createActivities } from '../../../src/activities/index.ts';
import { adminKubeConfig, createNamespace, eventually } from '../../helpers/cluster.ts';
import { fullIsr, readyPods } from '../../helpers/kafka.ts';
import {
  kafkaClaim,
  kafkaConfigMap,
  kafkaPod,
  kafkaService,
  newKafkaClusterId,
} from '../../helpers/kafka-pods.ts';

const nodes = 3;
const version = '3.9.1';

describe('Kafka admin activities', () => {
  const kube = adminKubeConfig();
  const core = kube.makeApiClient(CoreV1Api);
  const activities = createActivities({ kube });
  const run = <T>(fn: () => Promise<T>): Promise<T> => new MockActivityEnvironment().run(fn);
  let namespace = '';
  let addresses: string[] = [];
  // A plaintext cluster: no client certificate.
  const access = () => ({ addresses, tls: null });
  let admin: Admin;

  before(async () => {
    namespace = await createNamespace(core, 'kafka-admin');
    await core.createNamespacedConfigMap({ namespace, body: kafkaConfigMap(namespace, nodes) });
    await core.createNamespacedService({ namespace, body: kafkaService() });
    const clusterId = newKafkaClusterId();
    for (let id = 0; id < nodes; id++) {
      await core.createNamespacedPersistentVolumeClaim({ namespace, body: kafkaClaim(id) });
      await core.createNamespacedPod({ namespace, body: kafkaPod(id, version, clusterId) });
    }
    const pods = await readyPods(core, namespace, nodes);
    addresses = pods
      .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))
      .map((p) => `${p.status?.podIP}:9092`);
    admin = new Admin({ clientId: 'keelson-test-admin', bootstrapBrokers: addresses });
    // A pod is ready when its broker listens; its registration with the quorum can come a moment
    // later, and a config described for a broker the metadata does not list yet fails.
    await eventually(`all ${nodes} brokers in the cluster metadata`, async () => {
      const metadata = await admin.metadata({ topics: [], forceUpdate: true });
      return metadata.brokers.size === nodes ? true : undefined;
    });
  });

  after(async () => {
    await admin?.close();
    if (namespace) await core.deleteNamespace({ name: namespace });
  });

  it('sets and removes cluster-wide dynamic broker configs, which every broker then uses', async () => {
    assert.deepEqual(await run(() => activities.readClusterDynamicConfig({ bootstrap: access() })), {});
    const applied = await run(() =>
      activities.applyClusterDynamicConfig({
        bootstrap: access(),
        set: { 'message.max.bytes': '2000000', 'log.cleaner.threads': '2' },
        remove: [],
      }),
    );
    assert.deepEqual(applied, { 'message.max.bytes': '2000000', 'log.cleaner.threads': '2' });

    const effective = async (broker: string) => {
      const [description] = await admin.describeConfigs({
        resources: [
          {
            resourceType: ConfigResourceTypes.BROKER,
            resourceName: broker,
            configurationKeys: ['message.max.bytes'],
          },
        ],
      });
      return description?.configs.find((c) => c.name === 'message.max.bytes');
    };
    for (const broker of ['0', '1', '2']) {
      const config = await eventually(`broker ${broker} to use the new default`, async () => {
        const c = await effective(broker);
        return c?.value === '2000000' ? c : undefined;
      });
      assert.equal(config.configSource, ConfigSources.DYNAMIC_DEFAULT_BROKER_CONFIG);
    }

    const removed = await run(() =>
      activities.applyClusterDynamicConfig({ bootstrap: access(), set: {}, remove: ['message.max.bytes'] }),
    );
    assert.deepEqual(removed, { 'log.cleaner.threads': '2' });
    const fallback = await eventually('broker 0 to fall back to its static value', async () => {
      const c = await effective('0');
      return c?.configSource === ConfigSources.DEFAULT_CONFIG ? c : undefined;
    });
    assert.notEqual(fallback.value, '2000000');
  });

  it('moves leadership back to preferred replicas', async () => {
    const topic = 'preferred';
    await admin.createTopics({ topics: [topic], partitions: 6, replicas: 3 });
    await fullIsr(admin, topic, 6, 3);
    const partitions = async () => {
      const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
      return metadata.topics.get(topic)?.partitions ?? [];
    };
    // Reordering each partition's replicas makes another replica the
    // preferred one while the leader stays where it is.
    const before = await partitions();
    const connection = new Connection('keelson-test');
    const [host, port] = (addresses[0] ?? '').split(':');
    await connection.connect(host ?? '', Number(port));
    try {
      await alterPartitionReassignmentsV0.api.async(connection, 30_000, false, [
        {
          name: topic,
          partitions: before.map((p, index) => ({
            partitionIndex: index,
            replicas: [...p.replicas.slice(1), p.replicas[0] ?? 0],
          })),
        },
      ]);
    } finally {
      await connection.close();
    }
    const notPreferred = await eventually('the new replica order to show', async () => {
      const current = await partitions();
      const count = current.filter((p) => p.leader !== p.replicas[0]).length;
      return count === current.length ? count : undefined;
    });
    assert.equal(notPreferred, 6);

    const outcome = await run(() => activities.electPreferredLeaders({ bootstrap: access() }));
    assert.deepEqual(outcome.notElected, []);
    assert.ok(outcome.elected >= 6, `elected ${outcome.elected}`);
    await eventually('every leader to be the preferred replica', async () => {
      const current = await partitions();
      return current.every((p) => p.leader === p.replicas[0]) || undefined;
    });

    const again = await run(() => activities.electPreferredLeaders({ bootstrap: access() }));
    assert.equal(again.elected, 0, 'nothing to elect a second time');
  });

  it('refuses a metadata.version the nodes do not support, naming them, and changes nothing', async () => {
    const nodeAddresses = addresses.map((address, nodeId) => ({ nodeId, address }));
    assert.equal(await run(() => activities.readMetadataVersion({ bootstrap: access() })), '3.9-IV0');
    await assert.rejects(
      run(() =>
        activities.raiseMetadataVersion({ nodes: nodeAddresses, bootstrap: access(), to: '4.1-IV1' }),
      ),
      /4\.1-IV1 is not supported by node 0 \(up to 3\.9-IV0\), node 1 \(up to 3\.9-IV0\), node 2 \(up to 3\.9-IV0\)/,
    );
    assert.equal(await run(() => activities.readMetadataVersion({ bootstrap: access() })), '3.9-IV0');
    assert.deepEqual(
      await run(() =>
        activities.raiseMetadataVersion({ nodes: nodeAddresses, bootstrap: access(), to: '3.9-IV0' }),
      ),
      { from: '3.9-IV0', to: '3.9-IV0' },
    );
  });
});
