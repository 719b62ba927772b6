// The cluster workflow on the real Temporal server, with real activities
// against the real API server and the node agent: a new KafkaCluster is
// provisioned into a running KRaft cluster and reported Ready; stale and
// foreign signals change nothing.
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { Admin } from '@platformatic/kafka';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createActivities } from '../../../src/activities/index.ts';
import {
  apiVersion,
  group,
  kind,
  plural,
  version,
  type KafkaClusterStatus,
} from '../../../src/crd/kafka-cluster.ts';
import { clusterWorkflowId, specSignal, stateQuery } from '../../../src/workflows/messages.ts';
import type { kafkaClusterWorkflow } from '../../../src/workflows/kafka-cluster.ts';
import { minimalSpec } from '../../fixtures/kafka-cluster-specs.ts';
import { adminKubeConfig, createNamespace, env, eventually } from '../../helpers/cluster.ts';
import { installCrd } from '../../helpers/crd.ts';

const workflowsPath = fileURLToPath(new URL('../../../src/workflows/index.ts', import.meta.url));

describe('cluster workflow: provisioning', () => {
  const kubeconfig = adminKubeConfig();
  const core = kubeconfig.makeApiClient(CoreV1Api);
  const custom = kubeconfig.makeApiClient(CustomObjectsApi);
  const taskQueue = `provision-${Date.now()}`;
  let namespace = '';
  let uid = '';
  let connection: Connection;
  let client: Client;
  let stopWorker: () => void = () => undefined;
  let workerDone: Promise<void> = Promise.resolve();

  const readStatus = async () =>
    (
      (await custom.getNamespacedCustomObject({ group, version, namespace, plural, name: 'orders' })) as {
        status?: KafkaClusterStatus;
      }
    ).status;

  before(async () => {
    await installCrd(kubeconfig);
    namespace = await createNamespace(core, 'provision');
    const created = (await custom.createNamespacedCustomObject({
      group,
      version,
      namespace,
      plural,
      body: {
        apiVersion,
        kind,
        metadata: { name: 'orders' },
        spec: { ...minimalSpec, kafkaVersion: '4.1.1' },
      },
    })) as { metadata: { uid: string } };
    uid = created.metadata.uid;

    const worker = await Worker.create({
      connection: await NativeConnection.connect({ address: env.temporal.address }),
      taskQueue,
      workflowsPath,
      activities: createActivities({ kube: kubeconfig }),
    });
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    stopWorker = stop;
    workerDone = worker.runUntil(stopped);
    connection = await Connection.connect({ address: env.temporal.address });
    client = new Client({ connection, namespace: env.temporal.namespace });
  });

  after(async () => {
    await client?.workflow
      .getHandle(clusterWorkflowId(namespace, 'orders'))
      .terminate('test finished')
      .catch(() => undefined);
    stopWorker();
    await workerDone;
    await connection?.close();
    if (namespace) await core.deleteNamespace({ name: namespace });
  });

  it('provisions a new cluster and reports it Ready', async () => {
    const handle = await client.workflow.signalWithStart<
      typeof kafkaClusterWorkflow,
      [{ uid: string; generation: number }]
    >('kafkaClusterWorkflow', {
      workflowId: clusterWorkflowId(namespace, 'orders'),
      taskQueue,
      args: [{ namespace, name: 'orders', uid }],
      signal: specSignal,
      signalArgs: [{ uid, generation: 1 }],
    });
    const status = await eventually(
      'the cluster to be Ready',
      async () => {
        const current = await readStatus();
        return current?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
          ? current
          : undefined;
      },
      300_000,
      1_000,
    );
    assert.equal(status.observedGeneration, 1);
    assert.equal(status.kafkaVersion, '4.1.1');
    assert.equal(status.currentOperation, undefined);
    assert.equal(status.lastOperation?.type, 'provision');
    assert.equal(status.lastOperation?.workflowId, `provision/${namespace}/orders/g1`);
    assert.deepEqual(status.nodePools, [{ name: 'combined', nodeIdBase: 0 }]);

    const pods = (await core.listNamespacedPod({ namespace, labelSelector: 'keelson.dev/cluster=orders' }))
      .items;
    assert.equal(pods.length, 3);
    const admin = new Admin({
      clientId: 'test',
      bootstrapBrokers: pods.map((p) => `${p.status?.podIP}:9092`),
    });
    try {
      const metadata = await admin.metadata({ forceUpdate: true });
      assert.deepEqual([...metadata.brokers.keys()].sort(), [0, 1, 2]);
    } finally {
      await admin.close();
    }

    // A repeated generation and a signal for another incarnation are ignored.
    await handle.signal(specSignal, { uid, generation: 1 });
    await handle.signal(specSignal, { uid: 'someone-else', generation: 9 });
    const state = await handle.query(stateQuery);
    assert.equal(state.lastSeenGeneration, 1);
    assert.equal(state.lastPlannedGeneration, 1);
    const children = [];
    for await (const execution of client.workflow.list({
      query: `WorkflowId STARTS_WITH "provision/${namespace}/"`,
    })) {
      children.push(execution.workflowId);
    }
    assert.deepEqual(children, [`provision/${namespace}/orders/g1`], 'exactly one provisioning ran');
  });
});
