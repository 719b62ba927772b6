// A 3-broker cluster applications use, on the real API server, Temporal and
// Kafka brokers, with an internal, a nodeport and a loadbalancer listener
// (the test environment's node agent forwards node ports and gives each
// LoadBalancer Service a loopback address of its own). One cluster for both
// parts, since neither needs it fresh.
//
// KafkaTopics, reconciled by the cluster's topics workflow (signalled here as
// the watcher would, with a 5 s periodic pass): a topic's life (create, grow
// partitions, change and remove configs, change the replication factor
// through a throttled reassignment without losing a record, drift put back,
// delete), an existing topic adopted only when it is as the spec says and
// never destroyed otherwise, retain on delete, and bad KafkaTopics refused at
// admission naming the field.
//
// External access: a client that knows only a listener's bootstrap address
// produces and consumes through it while a change of the pool's pod template
// (JVM heap and options, tolerations of a tainted Node, node affinity,
// priority class, labels, annotations, grace period) rolls every broker.
import {
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  SchedulingV1Api,
  setHeaderOptions,
} from '@kubernetes/client-node';
import {
  Admin,
  ConfigResourceTypes,
  ConfigSources,
  IncrementalAlterConfigOperationTypes,
} from '@platformatic/kafka';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { group, topicConfigKeys, topicPlural, version } from '../../../src/crd/kafka-topic.ts';
import { topicFinalizer } from '../../../src/domain/kafka-topics.ts';
import { minimalSpec } from '../../fixtures/kafka-cluster-specs.ts';
import { adminKubeConfig, eventually } from '../../helpers/cluster.ts';
import { apiErrorMessage } from '../../helpers/crd.ts';
import { consumeKeys, expectNothingLost, produce, startSteadyProducer } from '../../helpers/kafka.ts';
import {
  brokerStarts,
  changeSpec,
  readClusterStatus,
  readyAtGeneration,
} from '../../helpers/kafka-cluster.ts';
import { closeWithUsers, createKafkaTopic, signalTopicsWorkflow } from '../../helpers/kafka-users.ts';
import {
  clusterName,
  managedCluster,
  provisioned,
  type ManagedCluster,
} from '../../helpers/managed-cluster.ts';

interface TopicObject {
  metadata: { name: string; finalizers?: string[] };
  spec: Record<string, unknown>;
  status?: {
    topicId?: string;
    topicName?: string;
    conditions?: { type: string; status: string; reason: string; message: string }[];
  };
}

const listeners = [
  { name: 'plain', port: 9092 },
  { name: 'np', port: 9095, type: 'nodeport' },
  { name: 'lb', port: 9096, type: 'loadbalancer' },
];
const taint = { key: 'dedicated', value: 'kafka', effect: 'NoSchedule' };

/** The command line of the broker JVM the node agent runs for a pod. */
function brokerCommandLine(namespace: string, pod: string): string {
  const marker = `/pods/${namespace}/${pod}-`;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const line = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (line.includes(marker) && line.includes('kafka.Kafka')) return line.replaceAll('\0', ' ');
    } catch {
      // gone meanwhile
    }
  }
  return '';
}

describe('a cluster applications use', () => {
  const kube = adminKubeConfig();
  const core = kube.makeApiClient(CoreV1Api);
  const custom = kube.makeApiClient(CustomObjectsApi);
  const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  let cluster: ManagedCluster;
  let namespace = '';
  /** The internal listener's addresses (pod addresses). */
  let bootstrap: string[] = [];

  before(async () => {
    cluster = await managedCluster(kube, 'applications', { ...minimalSpec, listeners });
    namespace = cluster.namespace;
    await provisioned(kube, cluster);
    bootstrap = await cluster.bootstrap();
  });
  after(async () => {
    await core
      .patchNode({ name: 'node-zone-a', body: { spec: { taints: [] } } }, mergePatch)
      .catch(() => undefined);
    await kube
      .makeApiClient(SchedulingV1Api)
      .deletePriorityClass({ name: 'kafka-test' })
      .catch(() => undefined);
    await closeWithUsers(cluster);
  });

  describe('KafkaTopics', () => {
    const withAdmin = async <T>(action: (admin: Admin) => Promise<T>): Promise<T> => {
      const admin = new Admin({ clientId: 'keelson-test-topics', bootstrapBrokers: bootstrap });
      try {
        return await action(admin);
      } finally {
        await admin.close();
      }
    };
    const create = (name: string, spec: Record<string, unknown>) =>
      createKafkaTopic(custom, namespace, name, spec).then(() => signalTopicsWorkflow(cluster, 5_000));
    const read = (name: string) =>
      custom
        .getNamespacedCustomObject({ group, version, namespace, plural: topicPlural, name })
        .then((t) => t as TopicObject)
        .catch((err: { code?: number }) => (err.code === 404 ? undefined : Promise.reject(err)));
    const patch = async (name: string, spec: Record<string, unknown>) => {
      await custom.patchNamespacedCustomObject(
        { group, version, namespace, plural: topicPlural, name, body: { spec } },
        mergePatch,
      );
      await signalTopicsWorkflow(cluster, 5_000);
    };
    const remove = async (name: string) => {
      await custom.deleteNamespacedCustomObject({ group, version, namespace, plural: topicPlural, name });
      await signalTopicsWorkflow(cluster, 5_000);
    };
    /** Deletes a KafkaTopic and waits until its finalizer has let it go. */
    const removeAndWait = async (name: string) => {
      await remove(name);
      await eventually(
        `KafkaTopic ${name} gone`,
        async () => ((await read(name)) ? undefined : true),
        60_000,
        500,
      );
    };
    const condition = (t: TopicObject | undefined) => t?.status?.conditions?.find((c) => c.type === 'Ready');
    const readyAt = (name: string, generation: number) =>
      eventually(
        `KafkaTopic ${name} Ready at generation ${generation}`,
        async () => {
          const t = await read(name);
          const c = condition(t) as { status: string; observedGeneration?: number } | undefined;
          return c?.status === 'True' && c.observedGeneration === generation ? t : undefined;
        },
        120_000,
        500,
      );
    /** Partitions and replicas per partition, and the topic's own configs, as Kafka holds them. */
    const describeTopic = (topic: string) =>
      withAdmin(async (admin) => {
        const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
        const t = metadata.topics.get(topic);
        const [configs] = await admin.describeConfigs({
          resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic }],
        });
        return {
          id: t?.id,
          partitions: t?.partitions.length ?? 0,
          replicas: (t?.partitions ?? []).map((p) => p.replicas.length),
          inSync: (t?.partitions ?? []).every((p) => p.isr.length === p.replicas.length),
          configs: Object.fromEntries(
            (configs?.configs ?? [])
              .filter((c) => c.configSource === ConfigSources.DYNAMIC_TOPIC_CONFIG)
              .map((c) => [c.name, c.value]),
          ),
        };
      });
    const topicExists = (topic: string) =>
      withAdmin(async (admin) => (await admin.listTopics()).includes(topic));

    it('refuses bad KafkaTopics at admission, naming the field', async () => {
      const refused = async (name: string, spec: Record<string, unknown>) =>
        apiErrorMessage(
          await createKafkaTopic(custom, namespace, name, { partitions: 1, replicas: 1, ...spec }).then(
            () => assert.fail(`${name} was accepted`),
            (err: unknown) => err,
          ),
        );
      const cases: [string, Record<string, unknown>, RegExp][] = [
        ['no-partitions', { partitions: 0 }, /spec.partitions/],
        ['no-replicas', { replicas: 0 }, /spec.replicas/],
        ['too-many-replicas', { replicas: 17 }, /spec.replicas/],
        [
          'unknown-key',
          { config: { 'retention.mss': '1' } },
          /config key "retention.mss" is not a topic config/,
        ],
        [
          'throttle-key',
          { config: { 'leader.replication.throttled.replicas': '*' } },
          /leader.replication.throttled.replicas" is not a topic config/,
        ],
        ['line-break', { config: { 'retention.ms': '1\nsegment.ms=1' } }, /spec.config.*line break/],
        ['dots', { topicName: '..' }, /spec.topicName.*may not be "." or ".."/],
        ['internal', { topicName: '__consumer_offsets' }, /spec.topicName.*internal topics/],
        ['slash', { topicName: 'a/b' }, /spec.topicName/],
        ['keep', { deletePolicy: 'keep' }, /spec.deletePolicy/],
        ['no-cluster', { cluster: 'Orders!' }, /spec.cluster/],
        ['a'.repeat(250), {}, /metadata.name: without spec.topicName/],
      ];
      for (const [name, spec, message] of cases) assert.match(await refused(name, spec), message, name);

      // Changes Kafka cannot make, refused on update.
      await createKafkaTopic(custom, namespace, 'fixed', {
        partitions: 2,
        replicas: 1,
        topicName: 'Fixed_Name',
      });
      const update = async (spec: Record<string, unknown>) =>
        apiErrorMessage(
          await custom
            .patchNamespacedCustomObject(
              { group, version, namespace, plural: topicPlural, name: 'fixed', body: { spec } },
              mergePatch,
            )
            .then(
              () => assert.fail(`${JSON.stringify(spec)} was accepted`),
              (err: unknown) => err,
            ),
        );
      assert.match(await update({ partitions: 1 }), /partitions cannot decrease/);
      assert.match(await update({ topicName: 'other' }), /topicName cannot change/);
      assert.match(await update({ cluster: 'payments' }), /cluster cannot change/);
      await custom.deleteNamespacedCustomObject({
        group,
        version,
        namespace,
        plural: topicPlural,
        name: 'fixed',
      });
    });

    it('knows only topic config keys the brokers know', async () => {
      await withAdmin(async (admin) => {
        await admin.createTopics({ topics: ['config-keys'], partitions: 1, replicas: 1 });
        const [described] = await admin.describeConfigs({
          resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: 'config-keys' }],
        });
        const known = new Set((described?.configs ?? []).map((c) => c.name));
        assert.deepEqual(
          topicConfigKeys.filter((k) => !known.has(k)),
          [],
        );
        await admin.deleteTopics({ topics: ['config-keys'] });
      });
    });

    it('creates, grows, reconfigures, re-replicates without losing a record, puts drift back and deletes a topic', async () => {
      await create('events', {
        partitions: 3,
        replicas: 2,
        config: { 'retention.ms': 3_600_000, 'segment.ms': '600000' },
      });
      const created = await readyAt('events', 1);
      let inKafka = await describeTopic('events');
      assert.equal(created.status?.topicId, inKafka.id);
      assert.equal(inKafka.partitions, 3);
      assert.deepEqual(inKafka.replicas, [2, 2, 2]);
      assert.deepEqual(inKafka.configs, { 'retention.ms': '3600000', 'segment.ms': '600000' });
      assert.ok(created.metadata.finalizers?.includes(topicFinalizer));
      await produce(bootstrap, 'events', 1_000);

      // More partitions, one config changed, one removed, one added: one pass.
      await patch('events', {
        partitions: 6,
        config: { 'retention.ms': 7_200_000, 'segment.ms': null, 'max.message.bytes': 2_000_000 },
      });
      await readyAt('events', 2);
      inKafka = await describeTopic('events');
      assert.equal(inKafka.partitions, 6);
      assert.deepEqual(inKafka.configs, { 'retention.ms': '7200000', 'max.message.bytes': '2000000' });

      // Replication factor 2 → 3: a throttled reassignment, followed to the end.
      await patch('events', { replicas: 3 });
      await readyAt('events', 3);
      inKafka = await describeTopic('events');
      assert.deepEqual(inKafka.replicas, [3, 3, 3, 3, 3, 3]);
      assert.ok(inKafka.inSync, 'every replica in sync');
      assert.deepEqual(
        inKafka.configs,
        { 'retention.ms': '7200000', 'max.message.bytes': '2000000' },
        'throttle cleared',
      );
      const brokerThrottles = await withAdmin((admin) =>
        admin.describeConfigs({
          resources: [0, 1, 2].map((id) => ({
            resourceType: ConfigResourceTypes.BROKER,
            resourceName: String(id),
          })),
        }),
      );
      assert.deepEqual(
        brokerThrottles.flatMap((b) =>
          b.configs.filter(
            (c) =>
              c.name.includes('throttled.rate') && c.configSource === ConfigSources.DYNAMIC_BROKER_CONFIG,
          ),
        ),
        [],
      );
      assert.equal((await consumeKeys(bootstrap, 'events', 1_000)).size, 1_000);

      // Changed behind Keelson's back: put back at the next periodic pass, without a signal.
      await withAdmin((admin) =>
        admin.incrementalAlterConfigs({
          resources: [
            {
              resourceType: ConfigResourceTypes.TOPIC,
              resourceName: 'events',
              configs: [
                {
                  name: 'retention.ms',
                  value: '1000',
                  configOperation: IncrementalAlterConfigOperationTypes.SET,
                },
                { name: 'max.message.bytes', configOperation: IncrementalAlterConfigOperationTypes.DELETE },
                {
                  name: 'cleanup.policy',
                  value: 'compact',
                  configOperation: IncrementalAlterConfigOperationTypes.SET,
                },
              ],
            },
          ],
        }),
      );
      await eventually(
        'drift put back',
        async () => {
          const now = await describeTopic('events');
          return JSON.stringify(now.configs) ===
            JSON.stringify({ 'retention.ms': '7200000', 'max.message.bytes': '2000000' })
            ? now
            : undefined;
        },
        30_000,
        500,
      ).catch(async (err: unknown) => {
        assert.fail(`${(err as Error).message}: ${JSON.stringify((await describeTopic('events')).configs)}`);
      });

      await removeAndWait('events');
      await eventually(
        'topic events deleted',
        async () => ((await topicExists('events')) ? undefined : true),
        30_000,
        500,
      );
    });

    it('adopts an existing topic only as it is, never destroys one it does not own, and retains on request', async () => {
      await withAdmin((admin) => admin.createTopics({ topics: ['legacy'], partitions: 2, replicas: 3 }));
      await produce(bootstrap, 'legacy', 200);

      // Another retention would expire records: refused, and nothing changes.
      await create('legacy-other', {
        topicName: 'legacy',
        partitions: 2,
        replicas: 3,
        config: { 'retention.ms': 1000 },
      });
      const refusedTopic = await eventually(
        'KafkaTopic legacy-other refused',
        async () => {
          const t = await read('legacy-other');
          return condition(t)?.reason === 'TopicExists' ? t : undefined;
        },
        60_000,
        500,
      );
      assert.match(condition(refusedTopic)?.message ?? '', /retention.ms not set \(spec: 1000\)/);
      assert.deepEqual((await describeTopic('legacy')).configs, {});
      // A second KafkaTopic for the same topic is told which one manages it.
      await create('legacy-again', { topicName: 'legacy', partitions: 2, replicas: 3 });
      await eventually(
        'KafkaTopic legacy-again a duplicate',
        async () => (condition(await read('legacy-again'))?.reason === 'DuplicateTopic' ? true : undefined),
        60_000,
        500,
      );

      // Deleting the refused KafkaTopic (delete policy) leaves the topic it never owned.
      await removeAndWait('legacy-other');
      assert.ok(await topicExists('legacy'));

      // Now the only claim, and as the topic is: adopted.
      const adopted = await readyAt('legacy-again', 1);
      await patch('legacy-again', { deletePolicy: 'retain' });
      await readyAt('legacy-again', 2);
      assert.equal(adopted.status?.topicId, (await describeTopic('legacy')).id);

      await removeAndWait('legacy-again');
      assert.ok(await topicExists('legacy'), 'retained');
      assert.equal((await consumeKeys(bootstrap, 'legacy', 200)).size, 200);

      // More replicas than the cluster has brokers: reported, nothing made.
      await create('too-wide', { partitions: 1, replicas: 4 });
      const wide = await eventually(
        'KafkaTopic too-wide refused',
        async () => condition(await read('too-wide')),
        60_000,
        500,
      );
      assert.equal(wide.reason, 'NotEnoughBrokers');
      assert.match(wide.message, /replicas 4 is more than the cluster's 3 brokers/);
      assert.equal(await topicExists('too-wide'), false);

      // A config value Kafka refuses (admission cannot know every key's type): the error in its status.
      await create('bad-value', { partitions: 1, replicas: 1, config: { 'retention.ms': 'soon' } });
      const bad = await eventually(
        'KafkaTopic bad-value failed',
        async () => {
          const c = condition(await read('bad-value'));
          return c?.reason === 'Failed' ? c : undefined;
        },
        60_000,
        500,
      );
      assert.match(bad.message, /creating the topic failed: .*retention\.ms/i);
      assert.equal(await topicExists('bad-value'), false);
    });
  });

  describe('external access', () => {
    let outside: Record<string, string> = {};

    it('gives each external listener a bootstrap address and each broker a Service of its own', async () => {
      const status = await readClusterStatus(custom, cluster.namespace, clusterName);
      const external = (status as { externalListeners?: { name: string; type: string; bootstrap: string }[] })
        .externalListeners;
      assert.deepEqual(
        external?.map((l) => [l.name, l.type]),
        [
          ['np', 'nodeport'],
          ['lb', 'loadbalancer'],
        ],
      );
      outside = Object.fromEntries((external ?? []).map((l) => [l.name, l.bootstrap]));
      assert.match(outside.np ?? '', /^127\.0\.0\.1:3\d{4}$/);
      assert.match(outside.lb ?? '', /^127\.251\.0\.\d+:9096$/);
      const services = await core.listNamespacedService({
        namespace: cluster.namespace,
        labelSelector: 'keelson.dev/listener',
      });
      assert.deepEqual(services.items.map((s) => s.metadata?.name).sort(), [
        'orders-lb-0',
        'orders-lb-1',
        'orders-lb-2',
        'orders-lb-bootstrap',
        'orders-np-0',
        'orders-np-1',
        'orders-np-2',
        'orders-np-bootstrap',
      ]);
      // Each broker advertises its own external address: metadata through the bootstrap address says so.
      for (const name of ['np', 'lb']) {
        const admin = new Admin({
          clientId: 'keelson-test-external',
          bootstrapBrokers: [outside[name] ?? ''],
        });
        try {
          const metadata = await admin.metadata({ forceUpdate: true });
          const advertised = [...metadata.brokers.values()].map((b) => `${b.host}:${b.port}`);
          assert.equal(advertised.length, 3);
          assert.ok(
            advertised.every((a) =>
              (name === 'np' ? /^127\.0\.0\.1:3\d{4}$/ : /^127\.251\.0\.\d+:9096$/).test(a),
            ),
            advertised.join(', '),
          );
          assert.equal(new Set(advertised).size, 3, 'one address per broker');
          await admin.createTopics({ topics: [`through-${name}`], partitions: 3, replicas: 3 });
        } finally {
          await admin.close();
        }
      }
    });

    it('keeps clients that know only the bootstrap address producing and consuming across a roll of a pod template change', async () => {
      await kube.makeApiClient(SchedulingV1Api).createPriorityClass({
        body: { metadata: { name: 'kafka-test' }, value: 1_000_000, description: 'a Keelson test' },
      });
      // A tainted Node: the roll can finish only if the pool's pods tolerate it.
      await core.patchNode(
        { name: 'node-zone-a', body: { spec: { taints: [taint] } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      const producers = Object.fromEntries(
        ['np', 'lb'].map((name) => [name, startSteadyProducer([outside[name] ?? ''], `through-${name}`, 0)]),
      );
      const pods = (await cluster.pods()).map((p) => p.metadata?.name ?? '').sort();
      const startsBefore = pods.map((pod) => brokerStarts(cluster.namespace, pod));
      const generation = await changeSpec(custom, cluster.client, { ...cluster, name: clusterName }, [
        {
          op: 'add',
          path: '/spec/nodePools/0/template',
          value: {
            jvm: { heap: '384m', options: ['-XX:+UseSerialGC', '-Dkeelson.test=external'] },
            tolerations: [{ ...taint, operator: 'Equal' }],
            nodeAffinity: [{ key: 'kubernetes.io/os', operator: 'In', values: ['linux'] }],
            priorityClassName: 'kafka-test',
            labels: { team: 'payments' },
            annotations: { 'example.com/owner': 'payments@example.com' },
            terminationGracePeriodSeconds: 60,
          },
        },
      ]);
      await readyAtGeneration(custom, cluster.namespace, clusterName, generation, 600_000);
      // At least 1,000 acknowledged through each listener, the roll included.
      await eventually(
        '1,000 records acknowledged through each listener',
        async () => (Object.values(producers).every((p) => p.acknowledged() >= 1_000) ? true : undefined),
        120_000,
        500,
      );
      // One after the other: run at once, the two checks reported acknowledged records missing;
      // the second producer stops even when the first check fails.
      const check = (name: string) =>
        expectNothingLost(
          producers[name] as (typeof producers)[string],
          [outside[name] ?? ''],
          `through-${name}`,
          {},
          1_000,
        );
      try {
        await check('np');
      } finally {
        await check('lb');
      }

      // Every broker restarted once, with the template in force.
      assert.deepEqual(
        pods.map((pod) => brokerStarts(cluster.namespace, pod)),
        startsBefore.map((n) => n + 1),
      );
      for (const pod of await cluster.pods()) {
        const name = pod.metadata?.name ?? '';
        assert.equal(pod.metadata?.labels?.team, 'payments', name);
        assert.equal(pod.metadata?.annotations?.['example.com/owner'], 'payments@example.com', name);
        assert.equal(pod.spec?.priorityClassName, 'kafka-test', name);
        assert.equal(pod.spec?.priority, 1_000_000, name);
        assert.equal(pod.spec?.terminationGracePeriodSeconds, 60, name);
        assert.deepEqual(pod.spec?.tolerations?.filter((t) => t.key === 'dedicated').length, 1, name);
        const command = brokerCommandLine(cluster.namespace, name);
        assert.match(command, /-Xms384m -Xmx384m/, name);
        assert.match(command, /-Dkeelson\.test=external/, name);
      }
      await eventually('the bootstrap addresses unchanged', async () => {
        const status = (await readClusterStatus(custom, cluster.namespace, clusterName)) as {
          externalListeners?: { name: string; bootstrap: string }[];
        };
        return status.externalListeners?.every((l) => outside[l.name] === l.bootstrap) ? true : undefined;
      });
    });
  });
});
