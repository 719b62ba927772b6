// The watcher against the real API server and Temporal, with an in-process
// worker: every KafkaCluster created or changed gets its workflow and the
// latest generation, each generation signalled once and in order (also
// across periodic relists); a KafkaCluster deleted and created again under
// the same name continues in the same workflow id with the new uid;
// keelson.dev/pause and keelson.dev/roll annotations become the CLI's
// Updates, acknowledged on the resource and acted on once. The clusters'
// specs are paused, so no broker is started.
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createActivities } from '../../../src/activities/index.ts';
import { group, plural, version } from '../../../src/crd/kafka-cluster.ts';
import { workflowsPath } from '../../../src/operator/worker.ts';
import { clusterWatchHandlers } from '../../../src/watch/handlers.ts';
import { watchKafkaClusters } from '../../../src/watch/kafka-cluster-watch.ts';
import { acknowledgement } from '../../../src/domain/annotation-requests.ts';
import { clusterWorkflowId, stateQuery } from '../../../src/workflows/messages.ts';
import { minimalSpec } from '../../fixtures/kafka-cluster-specs.ts';
import { startInProcessWorker, type InProcessWorker } from '../../helpers/in-process-worker.ts';
import { adminKubeConfig, createNamespace, eventually } from '../../helpers/cluster.ts';
import { installCrd } from '../../helpers/crd.ts';
import { createKafkaCluster } from '../../helpers/kafka-cluster.ts';
import { clusterHistory } from '../../helpers/workflow-history.ts';

const pausedSpec = { ...minimalSpec, paused: true };

describe('KafkaCluster watcher', () => {
  const kubeconfig = adminKubeConfig();
  const core = kubeconfig.makeApiClient(CoreV1Api);
  const custom = kubeconfig.makeApiClient(CustomObjectsApi);
  const taskQueue = `watch-${Date.now()}`;
  const stopWatching = new AbortController();
  const relists: string[] = [];
  let namespace = '';
  let worker: InProcessWorker | undefined;
  let client: Client;
  let watching: Promise<void> = Promise.resolve();

  /** The generations the workflow received in spec signals, in order. */
  const signalledGenerations = async (name: string): Promise<number[]> =>
    (await clusterHistory(client, namespace, name)).generations;
  const generationOf = async (name: string): Promise<{ generation: number; uid: string }> => {
    const object = (await custom.getNamespacedCustomObject({ group, version, plural, namespace, name })) as {
      metadata: { generation: number; uid: string };
    };
    return object.metadata;
  };
  const caughtUp = (name: string) =>
    eventually(`${name}'s workflow to see its latest generation`, async () => {
      const { generation, uid } = await generationOf(name);
      const state = await client.workflow
        .getHandle(clusterWorkflowId(namespace, name))
        .query(stateQuery)
        .catch(() => undefined);
      return state?.uid === uid && state.lastSeenGeneration === generation ? state : undefined;
    });

  before(async () => {
    await installCrd(kubeconfig);
    namespace = await createNamespace(core, 'watch');
    worker = await startInProcessWorker({
      taskQueue,
      workflowsPath,
      activities: createActivities({ kube: kubeconfig }),
    });
    client = worker.client;
    const { handlers } = clusterWatchHandlers(client, kubeconfig, taskQueue);
    watching = watchKafkaClusters(
      kubeconfig,
      { ...handlers, event: (kind) => void relists.push(kind) },
      // A short resync, so the test sees relists re-deliver every object.
      { namespaces: [namespace], resyncMs: 4_000, watchSeconds: 5 },
      stopWatching.signal,
    );
  });

  after(async () => {
    // Deleted while the watcher and worker still run, so their teardown lets them go.
    for (const name of ['a', 'b', 'c']) {
      await custom
        .deleteNamespacedCustomObject({ group, version, namespace, plural, name })
        .catch(() => undefined);
    }
    await eventually('the KafkaClusters to be gone', async () => {
      const list = (await custom.listNamespacedCustomObject({ group, version, namespace, plural })) as {
        items: unknown[];
      };
      return list.items.length === 0 || undefined;
    });
    stopWatching.abort();
    await watching;
    for (const name of ['a', 'b', 'c']) {
      await client?.workflow
        .getHandle(clusterWorkflowId(namespace, name))
        .terminate('test finished')
        .catch(() => undefined);
    }
    await worker?.close();
    if (namespace) await core.deleteNamespace({ name: namespace });
  });

  it('signals every new generation of every KafkaCluster once, in order', async () => {
    for (const name of ['a', 'b', 'c']) await createKafkaCluster(custom, namespace, name, pausedSpec);
    for (const delay of ['1s', '2s', '3s']) {
      await custom.patchNamespacedCustomObject({
        group,
        version,
        namespace,
        plural,
        name: 'b',
        body: [{ op: 'replace', path: '/spec/rollout/delayBetweenRestarts', value: delay }],
      });
    }
    for (const name of ['a', 'b', 'c']) await caughtUp(name);
    // Let relists re-deliver everything a few times.
    const relistsBefore = relists.filter((k) => k === 'relist').length;
    await eventually(
      'two more relists',
      async () => relists.filter((k) => k === 'relist').length >= relistsBefore + 2 || undefined,
    );
    assert.deepEqual(await signalledGenerations('a'), [1]);
    assert.deepEqual(await signalledGenerations('c'), [1]);
    const b = await signalledGenerations('b');
    assert.equal(b.at(-1), 4);
    assert.deepEqual(
      b,
      [...new Set(b)].sort((x, y) => x - y),
      'each generation once, in order',
    );
  });

  it('lets a second watcher with no memory see the same objects without signalling again', async () => {
    const second = clusterWatchHandlers(client, kubeconfig, taskQueue);
    for (const name of ['a', 'b', 'c']) {
      const before = await signalledGenerations(name);
      const object = (await custom.getNamespacedCustomObject({
        group,
        version,
        plural,
        namespace,
        name,
      })) as {
        metadata: { uid: string; generation: number; resourceVersion: string; finalizers?: string[] };
      };
      await second.handlers.changed({
        uid: object.metadata.uid,
        namespace,
        name,
        generation: object.metadata.generation,
        annotations: {},
        finalizers: object.metadata.finalizers ?? [],
        resourceVersion: object.metadata.resourceVersion,
        deleting: false,
      });
      assert.deepEqual(await signalledGenerations(name), before, `${name}: nothing signalled again`);
    }
    assert.equal(second.signaller.signalsSent, 0);
  });

  it('hands a name deleted and created again to its new incarnation', async () => {
    const first = await generationOf('c');
    await custom.deleteNamespacedCustomObject({ group, version, namespace, plural, name: 'c' });
    await eventually('c to be gone', async () =>
      (await generationOf('c').catch(() => undefined)) === undefined ? true : undefined,
    );
    await createKafkaCluster(custom, namespace, 'c', pausedSpec);
    const state = await caughtUp('c');
    assert.notEqual(state.uid, first.uid);
    assert.equal(state.lastSeenGeneration, 1);
  });

  const annotate = (annotations: Record<string, string | null>) =>
    custom.patchNamespacedCustomObject(
      { group, version, namespace, plural, name: 'a', body: { metadata: { annotations } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  const acknowledged = (kind: string, value: string) =>
    eventually(`keelson.dev/${kind}=${value} to be acknowledged`, async () => {
      const object = (await custom.getNamespacedCustomObject({
        group,
        version,
        plural,
        namespace,
        name: 'a',
      })) as {
        metadata: { annotations?: Record<string, string> };
      };
      const annotations = object.metadata.annotations ?? {};
      return annotations[`keelson.dev/${kind}-acknowledged`] === value
        ? annotations[`keelson.dev/${kind}-result`]
        : undefined;
    });

  it('turns annotations into the same Updates as the CLI, each acted on once', async () => {
    const handle = client.workflow.getHandle(clusterWorkflowId(namespace, 'a'));

    await annotate({ 'keelson.dev/pause': 'true' });
    assert.equal(await acknowledged('pause', 'true'), 'accepted');
    assert.equal((await handle.query(stateQuery)).paused, true);

    await annotate({ 'keelson.dev/roll': 'first' });
    assert.equal(await acknowledged('roll', 'first'), 'refused: the cluster is paused: resume it first');

    await annotate({ 'keelson.dev/pause': 'maybe' });
    assert.equal(await acknowledged('pause', 'maybe'), 'refused: must be "true" or "false"');

    await annotate({ 'keelson.dev/pause': 'false' });
    assert.equal(await acknowledged('pause', 'false'), 'accepted');
    assert.equal((await handle.query(stateQuery)).paused, false);

    // Relists re-deliver the object: nothing is acted on twice.
    const relistsBefore = relists.filter((k) => k === 'relist').length;
    await eventually(
      'two more relists',
      async () => relists.filter((k) => k === 'relist').length >= relistsBefore + 2 || undefined,
    );
    const updates = (await handle.fetchHistory()).events?.filter(
      (e) => e.workflowExecutionUpdateAcceptedEventAttributes,
    );
    assert.equal(updates?.length, 2, 'one pause and one resume were accepted');
  });

  it('refuses a 90 KiB request applied with kubectl apply, acknowledging it without copying it', async () => {
    const handle = client.workflow.getHandle(clusterWorkflowId(namespace, 'a'));
    const huge = 'r'.repeat(90 * 1024);
    // kubectl apply keeps the whole object in an annotation: two copies, ~180 KiB of the 256 KiB allowed.
    await annotate({
      'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({
        metadata: { annotations: { 'keelson.dev/roll': huge } },
      }),
      'keelson.dev/roll': huge,
    });
    const result = await acknowledged('roll', acknowledgement(huge));
    assert.equal(result, 'refused: the value is 92160 characters long; at most 256 are taken');
    assert.equal((await handle.query(stateQuery)).forcedRoll, undefined, 'no roll was asked for');
    await annotate({ 'kubectl.kubernetes.io/last-applied-configuration': null, 'keelson.dev/roll': null });
  });

  it('keeps handling every other cluster when handling one fails, and tries that one again', async () => {
    const stop = new AbortController();
    const seen: string[] = [];
    const errors: string[] = [];
    const watching = watchKafkaClusters(
      kubeconfig,
      {
        changed: async (cluster) => {
          seen.push(cluster.name);
          if (cluster.name === 'a') throw new Error('cannot handle a');
        },
        deleted: async () => undefined,
        event: (kind, detail) => void (kind === 'handler-error' && errors.push(detail ?? '')),
      },
      { namespaces: [namespace], resyncMs: 60_000, watchSeconds: 5 },
      stop.signal,
    );
    try {
      // Listed in name order: b and c come after the failing a.
      await eventually('b and c to be handled', async () =>
        seen.includes('b') && seen.includes('c') ? true : undefined,
      );
      await custom.patchNamespacedCustomObject({
        group,
        version,
        namespace,
        plural,
        name: 'b',
        body: [{ op: 'replace', path: '/spec/rollout/delayBetweenRestarts', value: '9s' }],
      });
      await eventually('the change to b to be watched', async () =>
        seen.filter((n) => n === 'b').length >= 2 ? true : undefined,
      );
      // The relist is brought forward from a minute to a second or two for the object that failed.
      await eventually('a to be tried again', async () =>
        seen.filter((n) => n === 'a').length >= 2 ? true : undefined,
      );
      assert.ok(
        errors.every((e) => e === `${namespace}/a: cannot handle a`),
        errors.join('\n'),
      );
    } finally {
      stop.abort();
      await watching;
    }
  });

  it('takes a backup asked for with keelson.dev/backup, refusing it without spec.backup', async () => {
    await annotate({ 'keelson.dev/backup': 'nightly-check' });
    assert.equal(
      await acknowledged('backup', 'nightly-check'),
      `refused: ${namespace}/a has no spec.backup: set a backup target first`,
    );
  });
});
