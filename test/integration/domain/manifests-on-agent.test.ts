// The manifests src/domain builds for a 3-node cluster, applied to the real
// API server, become a working KRaft cluster on the test node agent: one
// broker per zone with its rack, replicated topics, acknowledged writes.
import { CoreV1Api, CustomObjectsApi, PolicyV1Api } from '@kubernetes/client-node';
import { Admin } from '@platformatic/kafka';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  apiVersion,
  group,
  kind,
  KafkaClusterSpec,
  plural,
  version,
} from '../../../src/crd/kafka-cluster.ts';
import { buildClusterManifests } from '../../../src/domain/manifests/index.ts';
import { assignNodeIdBases, planNodes } from '../../../src/domain/nodes.ts';
import { minimalSpec } from '../../fixtures/kafka-cluster-specs.ts';
import { adminKubeConfig, createNamespace } from '../../helpers/cluster.ts';
import { installCrd } from '../../helpers/crd.ts';
import { consumeKeys, fullIsr, produce, readyPods } from '../../helpers/kafka.ts';

describe('cluster manifests on the node agent', () => {
  const kubeconfig = adminKubeConfig();
  const core = kubeconfig.makeApiClient(CoreV1Api);
  let namespace = '';
  let admin: Admin | undefined;
  let bootstrapBrokers: string[] = [];

  before(async () => {
    await installCrd(kubeconfig);
    namespace = await createNamespace(core, 'manifests');
    // A real KafkaCluster owns the objects: the garbage collector would delete orphans.
    const owner = (await kubeconfig.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      group,
      version,
      namespace,
      plural,
      body: { apiVersion, kind, metadata: { name: 'demo' }, spec: minimalSpec },
    })) as { metadata: { uid: string } };
    const cluster = { name: 'demo', namespace, uid: owner.metadata.uid };
    const spec = KafkaClusterSpec.parse(minimalSpec);
    const nodes = planNodes(cluster.name, spec, assignNodeIdBases(spec.nodePools, {}));
    const manifests = buildClusterManifests(cluster, spec, nodes);
    await core.createNamespacedConfigMap({ namespace, body: manifests.configMap });
    await core.createNamespacedService({ namespace, body: manifests.headlessService });
    await core.createNamespacedService({ namespace, body: manifests.bootstrapService });
    for (const budget of manifests.disruptionBudgets) {
      await kubeconfig
        .makeApiClient(PolicyV1Api)
        .createNamespacedPodDisruptionBudget({ namespace, body: budget });
    }
    for (const claim of manifests.claims)
      await core.createNamespacedPersistentVolumeClaim({ namespace, body: claim });
    for (const pod of manifests.pods) await core.createNamespacedPod({ namespace, body: pod });
    const pods = await readyPods(core, namespace, 3);
    bootstrapBrokers = pods.map((pod) => `${pod.status?.podIP}:9092`);
    admin = new Admin({ clientId: 'keelson-test-admin', bootstrapBrokers });
  });

  after(async () => {
    await admin?.close();
    if (namespace) await core.deleteNamespace({ name: namespace });
  });

  it('runs three brokers, one per zone, each with its zone as rack', async () => {
    const metadata = await admin!.metadata({ forceUpdate: true });
    assert.deepEqual([...metadata.brokers.entries()].map(([id, b]) => [id, b.rack]).sort(), [
      [0, 'zone-a'],
      [1, 'zone-b'],
      [2, 'zone-c'],
    ]);
  });

  it('accepts acknowledged writes to a topic with the default replication and serves them back', async () => {
    await admin!.createTopics({ topics: ['events'], partitions: 3, replicas: -1 });
    await fullIsr(admin!, 'events', 3, 3);
    await produce(bootstrapBrokers, 'events', 300);
    assert.equal((await consumeKeys(bootstrapBrokers, 'events', 300)).size, 300);
  });
});
