// Clients outside Kubernetes, on the real API server, Temporal and Kafka
// brokers: a 3-broker cluster with a nodeport and a loadbalancer listener
// (the test environment's node agent forwards node ports and gives each
// LoadBalancer Service a loopback address of its own). A client that knows
// only a listener's bootstrap address produces and consumes through it while
// a change of the pool's pod template (JVM heap and options, tolerations of a
// tainted Node, node affinity, priority class, labels, annotations, grace
// period) rolls every broker.
import {
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  SchedulingV1Api,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { Admin } from '@platformatic/kafka';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { minimalSpec } from '../../fixtures/kafka-cluster-specs.ts';
import { adminKubeConfig, eventually } from '../../helpers/cluster.ts';
import {
  brokerStarts,
  changeSpec,
  readClusterStatus,
  readyAtGeneration,
} from '../../helpers/kafka-cluster.ts';
import { expectNothingLost, startSteadyProducer } from '../../helpers/kafka.ts';
import {
  clusterName,
  managedCluster,
  provisioned,
  type ManagedCluster,
} from '../../helpers/managed-cluster.ts';

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

describe('external access', () => {
  const kube = adminKubeConfig();
  const core = kube.makeApiClient(CoreV1Api);
  const custom = kube.makeApiClient(CustomObjectsApi);
  let cluster: ManagedCluster;
  let bootstrap: Record<string, string> = {};

  before(async () => {
    cluster = await managedCluster(kube, 'external', { ...minimalSpec, listeners });
    await provisioned(kube, cluster);
  });
  after(async () => {
    await core
      .patchNode(
        { name: 'node-zone-a', body: { spec: { taints: [] } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      )
      .catch(() => undefined);
    await kube
      .makeApiClient(SchedulingV1Api)
      .deletePriorityClass({ name: 'kafka-test' })
      .catch(() => undefined);
    await cluster.close();
  });

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
    bootstrap = Object.fromEntries((external ?? []).map((l) => [l.name, l.bootstrap]));
    assert.match(bootstrap.np ?? '', /^127\.0\.0\.1:3\d{4}$/);
    assert.match(bootstrap.lb ?? '', /^127\.251\.0\.\d+:9096$/);
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
        bootstrapBrokers: [bootstrap[name] ?? ''],
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
      ['np', 'lb'].map((name) => [name, startSteadyProducer([bootstrap[name] ?? ''], `through-${name}`, 0)]),
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
    for (const name of ['np', 'lb']) {
      const producer = producers[name];
      assert.ok(producer);
      await expectNothingLost(producer, [bootstrap[name] ?? ''], `through-${name}`, {}, 1_000);
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
      return status.externalListeners?.every((l) => bootstrap[l.name] === l.bootstrap) ? true : undefined;
    });
  });
});
