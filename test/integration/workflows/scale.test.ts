// Scaling brokers end to end (real API server, Temporal, Kafka 4.1.1):
// 3 → 5 brokers by adding a broker pool, after which the new brokers hold
// replicas; a scale-down the remaining brokers could not hold (a topic with
// replication factor 5) is refused and changes nothing; then 5 → 3 with the
// worker killed during the drain: it resumes, no pod is deleted while its
// broker still holds a replica, the leaving node ids are unregistered, and
// every one of 10,000 acknowledged messages is still there.
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { Admin, ConfigResourceTypes, ConfigSources } from '@platformatic/kafka';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { clusterWorkflowId, driftSignal } from '../../../src/workflows/messages.ts';
import { minimalSpec } from '../../fixtures/kafka-cluster-specs.ts';
import { adminKubeConfig, eventually } from '../../helpers/cluster.ts';
import { changeSpec, readClusterStatus, readyAtGeneration } from '../../helpers/kafka-cluster.ts';
import { consumeKeys, fullIsr, replicatedTopicWithMessages } from '../../helpers/kafka.ts';
import { managedCluster, provisioned, type ManagedCluster } from '../../helpers/managed-cluster.ts';

const selector = 'keelson.dev/cluster=orders';
const messages = 10_000;
const brokerPool = {
  name: 'brokers',
  roles: ['broker'],
  replicas: 2,
  zones: ['zone-a', 'zone-b', 'zone-c'],
  storage: { size: '1Gi' },
};

describe('scaling brokers', () => {
  const kubeconfig = adminKubeConfig();
  const core = kubeconfig.makeApiClient(CoreV1Api);
  const custom = kubeconfig.makeApiClient(CustomObjectsApi);
  let cluster: ManagedCluster;
  let namespace = '';

  const pods = () => cluster.pods();
  const bootstrap = () => cluster.bootstrap();
  const withAdmin = async <T>(action: (admin: Admin) => Promise<T>): Promise<T> => {
    const admin = new Admin({ clientId: 'keelson-test', bootstrapBrokers: await bootstrap() });
    try {
      return await action(admin);
    } finally {
      await admin.close();
    }
  };
  /** Replicas held per broker id, over every topic. */
  const replicasPerBroker = () =>
    withAdmin(async (admin) => {
      const topics = await admin.listTopics({ includeInternals: true });
      const metadata = await admin.metadata({ topics, forceUpdate: true });
      const held = new Map<number, number>();
      for (const topic of metadata.topics.values())
        for (const p of topic.partitions) for (const r of p.replicas) held.set(r, (held.get(r) ?? 0) + 1);
      return held;
    });
  const setPools = (pools: unknown[]): Promise<number> =>
    changeSpec(custom, cluster.client, { namespace, name: 'orders', uid: cluster.uid }, [
      { op: 'replace', path: '/spec/nodePools', value: pools },
    ]);

  before(async () => {
    cluster = await managedCluster(kubeconfig, 'scale', minimalSpec);
    namespace = cluster.namespace;
    await provisioned(kubeconfig, cluster);
    await replicatedTopicWithMessages(await bootstrap(), 'ledger', messages);
  });

  after(async () => {
    await cluster?.close();
  });

  it('scales 3 → 5 brokers and moves replicas onto the new ones', async () => {
    const generation = await setPools([...minimalSpec.nodePools, brokerPool]);
    const status = await readyAtGeneration(custom, namespace, 'orders', generation, 600_000);
    assert.equal(status.lastOperation?.type, 'scale');
    assert.equal(status.lastOperation?.result, 'Succeeded');
    assert.equal((await pods()).length, 5);
    const held = await replicasPerBroker();
    assert.ok(
      (held.get(100) ?? 0) > 0 && (held.get(101) ?? 0) > 0,
      `new brokers hold replicas: ${[...held]}`,
    );
    // The replication throttle is gone once the moves are done.
    const [ledger] = await withAdmin((admin) =>
      admin.describeConfigs({
        resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: 'ledger' }],
      }),
    );
    const throttled = ledger?.configs.find((c) => c.name === 'leader.replication.throttled.replicas');
    assert.ok(throttled, 'the topic reports its throttled replicas');
    assert.equal(throttled.value, '');
    assert.notEqual(throttled.configSource, ConfigSources.DYNAMIC_TOPIC_CONFIG);
  });

  it('refuses a scale-down the remaining brokers cannot hold, changing nothing', async () => {
    await withAdmin(async (admin) => {
      await admin.createTopics({ topics: ['wide'], partitions: 1, replicas: 5 });
      await fullIsr(admin, 'wide', 1, 5);
    });
    const heldBefore = await replicasPerBroker();
    const generation = await setPools(minimalSpec.nodePools);
    const status = await eventually(
      'the refusal',
      async () => {
        const current = await readClusterStatus(custom, namespace, 'orders');
        return current?.observedGeneration === generation &&
          current.conditions?.some((c) => c.type === 'Degraded' && c.status === 'True')
          ? current
          : undefined;
      },
      120_000,
    );
    const degraded = status.conditions?.find((c) => c.type === 'Degraded');
    assert.match(degraded?.message ?? '', /refused, nothing changed: 3 broker\(s\) would remain.*wide\/0/);
    assert.equal((await pods()).length, 5);
    assert.deepEqual(await replicasPerBroker(), heldBefore);
  });

  it('drains before removing when scaling 5 → 3, resuming after a worker kill', async () => {
    await withAdmin((admin) => admin.deleteTopics({ topics: ['wide'] }));
    const leaving = ['orders-brokers-0', 'orders-brokers-1'];
    // The spec already asks for 3 brokers: tell the workflow to look again.
    await cluster.client.workflow
      .getHandle(clusterWorkflowId(namespace, 'orders'))
      .signal(driftSignal, { reason: 'topic wide deleted' });

    let killed = false;
    let removedWhileHolding: string[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const status = await readClusterStatus(custom, namespace, 'orders');
        if (!killed && status?.currentOperation?.step?.startsWith('draining')) {
          killed = true;
          await cluster.worker.kill();
          await cluster.worker.start();
        }
        const current = await pods();
        const gone = leaving.filter(
          (name) => !current.some((p) => p.metadata?.name === name && !p.metadata.deletionTimestamp),
        );
        if (gone.length > 0 && removedWhileHolding.length === 0) {
          const held = await replicasPerBroker().catch(() => undefined);
          if (held && ((held.get(100) ?? 0) > 0 || (held.get(101) ?? 0) > 0)) removedWhileHolding = gone;
        }
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    })();
    const status = await eventually(
      'the scale-down to finish',
      async () => {
        const current = await readClusterStatus(custom, namespace, 'orders');
        return current?.lastOperation?.type === 'scale' &&
          current.lastOperation.result === 'Succeeded' &&
          current.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
          ? current
          : undefined;
      },
      600_000,
      1_000,
    );
    watching = false;
    await watcher;

    assert.ok(killed, 'the worker was killed during the drain');
    assert.deepEqual(removedWhileHolding, [], 'no pod went while its broker held a replica');
    assert.equal(status.brokersReady, '3/3');
    assert.deepEqual((await pods()).map((p) => p.metadata?.name).sort(), [
      'orders-combined-0',
      'orders-combined-1',
      'orders-combined-2',
    ]);
    const held = await replicasPerBroker();
    assert.deepEqual([...held.keys()].sort(), [0, 1, 2]);
    const registered = await withAdmin(async (admin) => [
      ...(await admin.metadata({ forceUpdate: true })).brokers.keys(),
    ]);
    assert.deepEqual(registered.sort(), [0, 1, 2]);
    // The pool left the spec, so whether to delete its claims is unknown: the data is kept.
    const claims = (await core.listNamespacedPersistentVolumeClaim({ namespace, labelSelector: selector }))
      .items;
    assert.ok(leaving.every((name) => claims.some((c) => c.metadata?.name === `data-${name}`)));
    // While its claims are kept, the removed pool keeps its node ids and zones: no new pool gets them.
    assert.deepEqual(status.nodePools, [
      { name: 'combined', nodeIdBase: 0, nodeZones: ['zone-a', 'zone-b', 'zone-c'] },
      { name: 'brokers', nodeIdBase: 100, nodeZones: ['zone-a', 'zone-b'] },
    ]);
    assert.equal((await consumeKeys(await bootstrap(), 'ledger', messages)).size, messages);
  });
});
