// The KafkaUser and KafkaTopic watches against the real API server and
// Temporal: a KafkaUser created wakes its cluster's users workflow (started
// by signal-with-start), a rotation asked for wakes it again, and neither a
// status write (the workflow's own) nor a relist re-delivering the same
// objects does; a KafkaTopic created or changed wakes the topics workflow the
// same way. No worker runs here: the signals are counted in the workflows'
// histories.
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { Client, Connection } from '@temporalio/client';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { group, userPlural, version } from '../../../src/crd/kafka-user.ts';
import { rotateCredentialsAnnotation } from '../../../src/domain/kafka-users.ts';
import { signalNames, topicsWorkflowId, usersWorkflowId } from '../../../src/domain/workflow-ids.ts';
import {
  ClusterResourceSignaller,
  topicKind,
  userKind,
  watchClusterResources,
} from '../../../src/watch/cluster-resource-watch.ts';
import { adminKubeConfig, createNamespace, env, eventually } from '../../helpers/cluster.ts';
import { installCrd } from '../../helpers/crd.ts';
import { createKafkaTopic, createKafkaUser } from '../../helpers/kafka-users.ts';
import { topicPlural } from '../../../src/crd/kafka-topic.ts';

describe('KafkaUser and KafkaTopic watch', () => {
  const kubeconfig = adminKubeConfig();
  const core = kubeconfig.makeApiClient(CoreV1Api);
  const custom = kubeconfig.makeApiClient(CustomObjectsApi);
  const stop = new AbortController();
  const relists: string[] = [];
  let namespace = '';
  let client: Client;
  let connection: Connection;
  let watching: Promise<unknown> = Promise.resolve();

  const signalsTo = async (workflowId: string, signal: string): Promise<number> => {
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    return (history.events ?? []).filter(
      (e) => e.workflowExecutionSignaledEventAttributes?.signalName === signal,
    ).length;
  };
  const signals = () => signalsTo(usersWorkflowId(namespace, 'orders'), signalNames.usersChanged);
  const patch = (body: object, status = false) => {
    const key = { group, version, namespace, plural: userPlural, name: 'alice', body };
    const options = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    return status
      ? custom.patchNamespacedCustomObjectStatus(key, options)
      : custom.patchNamespacedCustomObject(key, options);
  };

  before(async () => {
    await installCrd(kubeconfig);
    namespace = await createNamespace(core, 'user-watch');
    connection = await Connection.connect({ address: env.temporal.address });
    client = new Client({ connection, namespace: env.temporal.namespace });
    const taskQueue = `user-watch-${Date.now()}`;
    watching = Promise.all([
      watchClusterResources(
        kubeconfig,
        new ClusterResourceSignaller(userKind, client, taskQueue),
        {
          namespaces: [namespace],
          resyncMs: 3_000,
          watchSeconds: 5,
          event: (kind) => void relists.push(kind),
        },
        stop.signal,
      ),
      watchClusterResources(
        kubeconfig,
        new ClusterResourceSignaller(topicKind, client, taskQueue),
        { namespaces: [namespace], resyncMs: 3_000, watchSeconds: 5 },
        stop.signal,
      ),
    ]);
  });
  after(async () => {
    stop.abort();
    await watching;
    for (const id of [usersWorkflowId(namespace, 'orders'), topicsWorkflowId(namespace, 'orders')])
      await client.workflow
        .getHandle(id)
        .terminate('test finished')
        .catch(() => undefined);
    await connection.close();
    await core.deleteNamespace({ name: namespace });
  });

  it('wakes the users workflow of the cluster once per change that matters', async () => {
    await createKafkaUser(custom, namespace, 'alice', {
      cluster: 'orders',
      authentication: { type: 'scram-sha-512' },
    });
    await eventually('the users workflow started by the first signal', async () =>
      (await signals().catch(() => 0)) === 1 ? true : undefined,
    );
    // The workflow's own status write, and relists: no new signal.
    await patch({ status: { username: 'alice' } }, true);
    const relistsBefore = relists.filter((k) => k === 'relist').length;
    await eventually('two relists', async () =>
      relists.filter((k) => k === 'relist').length >= relistsBefore + 2 ? true : undefined,
    );
    await sleep(500);
    assert.equal(await signals(), 1);
    // A rotation asked for: one more.
    await patch({ metadata: { annotations: { [rotateCredentialsAnnotation]: 'now' } } });
    await eventually('the rotation signalled', async () => ((await signals()) === 2 ? true : undefined));
  });

  it('wakes the topics workflow of the cluster for a new KafkaTopic and a new generation, not for its status', async () => {
    const topicSignals = () =>
      signalsTo(topicsWorkflowId(namespace, 'orders'), signalNames.topicsChanged).catch(() => 0);
    await createKafkaTopic(custom, namespace, 'events', { cluster: 'orders', partitions: 1, replicas: 1 });
    await eventually('the topics workflow started by the first signal', async () =>
      (await topicSignals()) === 1 ? true : undefined,
    );
    const key = { group, version, namespace, plural: topicPlural, name: 'events' };
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    await custom.patchNamespacedCustomObjectStatus(
      { ...key, body: { status: { topicName: 'events' } } },
      merge,
    );
    await custom.patchNamespacedCustomObject({ ...key, body: { spec: { partitions: 2 } } }, merge);
    await eventually('the new generation signalled', async () =>
      (await topicSignals()) === 2 ? true : undefined,
    );
    await sleep(1_000);
    assert.equal(await topicSignals(), 2);
  });
});
