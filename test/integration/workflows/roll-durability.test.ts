// A rolling upgrade (Kafka 3.9.1 → 4.1.1) with a producer sending acks=all
// throughout survives its worker being killed with SIGKILL at several points
// — while a pod is being deleted, while a new pod starts, while a broker
// catches up — and restarted each time: the roll completes, each node
// restarts exactly once, never two nodes are down at once, no send fails,
// every acknowledged message (10,000 before, all sent during) is still there,
// and metadata.version is raised to the new version's at the end.
import { CoreV1Api, CustomObjectsApi, type V1Pod } from '@kubernetes/client-node';
import { apiVersionsV3, Connection as KafkaConnection } from '@platformatic/kafka';
import { Client, Connection } from '@temporalio/client';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { group, plural, version } from '../../../src/crd/kafka-cluster.ts';
import { clusterWorkflowId, specSignal } from '../../../src/workflows/messages.ts';
import { minimalSpec } from '../../fixtures/kafka-cluster-specs.ts';
import { adminKubeConfig, createNamespace, env } from '../../helpers/cluster.ts';
import { installCrd } from '../../helpers/crd.ts';
import { workerProcess } from '../../helpers/worker-process.ts';
import { brokerStarts, createKafkaCluster, readyAtGeneration } from '../../helpers/kafka-cluster.ts';
import {
  consumeKeys,
  isReady,
  keysAt,
  replicatedTopicWithMessages,
  startSteadyProducer,
} from '../../helpers/kafka.ts';

const selector = 'keelson.dev/cluster=orders';
const initialMessages = 10_000;

describe('rolling upgrade under worker kills', () => {
  const kubeconfig = adminKubeConfig();
  const core = kubeconfig.makeApiClient(CoreV1Api);
  const custom = kubeconfig.makeApiClient(CustomObjectsApi);
  const taskQueue = `durability-${Date.now()}`;
  let namespace = '';
  let uid = '';
  let connection: Connection;
  let client: Client;

  const worker = workerProcess(taskQueue);
  const startWorker = worker.start;
  const killWorker = worker.kill;
  const pods = async (): Promise<V1Pod[]> =>
    (await core.listNamespacedPod({ namespace, labelSelector: selector })).items;
  const readyAt = (generation: number) => readyAtGeneration(custom, namespace, 'orders', generation, 600_000);

  before(async () => {
    await installCrd(kubeconfig);
    namespace = await createNamespace(core, 'durability');
    uid = await createKafkaCluster(custom, namespace, 'orders', { ...minimalSpec, kafkaVersion: '3.9.1' });
    connection = await Connection.connect({ address: env.temporal.address });
    client = new Client({ connection, namespace: env.temporal.namespace });
    await startWorker();
  });

  after(async () => {
    await client?.workflow
      .getHandle(clusterWorkflowId(namespace, 'orders'))
      .terminate('test finished')
      .catch(() => undefined);
    await killWorker();
    await connection?.close();
    if (namespace) await core.deleteNamespace({ name: namespace });
  });

  it('finishes the roll, restarting each node exactly once', async (t) => {
    await client.workflow.signalWithStart('kafkaClusterWorkflow', {
      workflowId: clusterWorkflowId(namespace, 'orders'),
      taskQueue,
      args: [{ namespace, name: 'orders', uid }],
      signal: specSignal,
      signalArgs: [{ uid, generation: 1 }],
    });
    await readyAt(1);
    const before = await pods();
    const bootstrap = before.map((p) => `${p.status?.podIP}:9092`);
    await replicatedTopicWithMessages(bootstrap, 'ledger', initialMessages);
    const producer = startSteadyProducer(bootstrap, 'ledger', initialMessages);
    const names = before.map((p) => p.metadata?.name ?? '').sort();
    const starts = (pod: string): number => brokerStarts(namespace, pod);
    const startsBefore = names.map(starts);

    await custom.patchNamespacedCustomObject({
      group,
      version,
      namespace,
      plural,
      name: 'orders',
      body: [{ op: 'replace', path: '/spec/kafkaVersion', value: '4.1.1' }],
    });
    await client.workflow
      .getHandle(clusterWorkflowId(namespace, 'orders'))
      .signal(specSignal, { uid, generation: 2 });

    // Kill the worker at each new stage of the roll it reaches: a pod being
    // deleted, gone, recreated but not yet ready.
    const stagesSeen = new Set<string>();
    let kills = 0;
    let mostDown = 0;
    let rolling = true;
    const chaos = (async () => {
      while (rolling) {
        const current = await pods();
        mostDown = Math.max(
          mostDown,
          names.length - current.filter((p) => isReady(p) && !p.metadata?.deletionTimestamp).length,
        );
        for (const name of names) {
          const pod = current.find((p) => p.metadata?.name === name);
          const stage = !pod
            ? 'gone'
            : pod.metadata?.deletionTimestamp
              ? 'deleting'
              : !isReady(pod) && pod.spec?.containers[0]?.image?.endsWith('4.1.1')
                ? 'starting'
                : undefined;
          if (stage && !stagesSeen.has(`${name}/${stage}`) && kills < 6) {
            stagesSeen.add(`${name}/${stage}`);
            kills++;
            await killWorker();
            await startWorker();
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();
    const status = await readyAt(2);
    rolling = false;
    await chaos;
    const sent = await producer.stop();

    assert.ok(kills >= 5, `the worker was killed ${kills} times`);
    // The roll, then the metadata.version raise, each as its own child workflow.
    const roll = await client.workflow.getHandle(`roll/${namespace}/orders/g2`).describe();
    assert.equal(roll.status.name, 'COMPLETED');
    assert.equal(status.lastOperation?.type, 'upgrade');
    assert.equal(status.lastOperation?.result, 'Succeeded');
    assert.deepEqual(
      names.map(starts),
      startsBefore.map((n) => n + 1),
      'each node started exactly once more',
    );
    assert.ok(mostDown <= 1, `at most one node down at a time, saw ${mostDown}`);
    const upgraded = await pods();
    assert.deepEqual(
      upgraded.map((p) => p.spec?.containers[0]?.image),
      names.map(() => 'apache/kafka:4.1.1'),
    );
    t.diagnostic(
      `worker killed ${kills} times; ${sent.acked.length} acks=all sends during the roll, ${sent.failed.length} failed`,
    );
    assert.deepEqual(sent.failed, [], 'no acks=all send failed during the roll');
    assert.ok(sent.acked.length > 100, `the producer kept sending (${sent.acked.length} acknowledged)`);
    const upgradedBootstrap = upgraded.map((p) => `${p.status?.podIP}:9092`);
    const seen = await consumeKeys(upgradedBootstrap, 'ledger', initialMessages + sent.acked.length).catch(
      (err: { seen?: Set<string> }) => err.seen ?? new Set<string>(),
    );
    const missing = sent.acked.filter((key) => !seen.has(key));
    if (missing.length > 0) {
      // Say where the broker put each missing message and what is there now.
      const positions = missing.map((key) => sent.placed.get(key) ?? { partition: -1, offset: -1n });
      const there = await keysAt(upgradedBootstrap, 'ledger', positions);
      assert.fail(
        `acknowledged but not consumed: ${missing
          .map(
            (key, i) =>
              `${key} (partition ${positions[i]?.partition} offset ${positions[i]?.offset}: now ${there[i] ?? 'nothing'})`,
          )
          .join(', ')}`,
      );
    }

    // metadata.version follows the Kafka version once every node runs it.
    assert.equal(status.metadataVersion, '4.1-IV1');
    const connection = new KafkaConnection('keelson-test');
    const [host, port] = (upgradedBootstrap[0] ?? '').split(':');
    await connection.connect(host ?? '', Number(port));
    try {
      const versions = await apiVersionsV3.api.async(connection, 'keelson-test', '0');
      assert.equal(
        versions.finalizedFeatures?.find((f) => f.name === 'metadata.version')?.maxVersionLevel,
        27,
      );
    } finally {
      await connection.close();
    }
  });
});
