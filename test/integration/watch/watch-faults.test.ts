// The watcher when its connection to the API server misbehaves (real API
// server and Temporal, in-process worker; the clusters' specs are paused, so
// no broker starts):
// - a watch connection that goes silent without closing (a TCP proxy between
//   watcher and API server stops forwarding) is replaced within the client's
//   30 s inactivity bound, and a change made during the silence is signalled
//   once;
// - the API server restarts: its new watch cache cannot resume the old
//   resourceVersion (410 Gone), the watcher relists, and a change made as
//   soon as the server is back is signalled once, with no generation signalled
//   twice.
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createActivities } from '../../../src/activities/index.ts';
import { workflowsPath } from '../../../src/operator/worker.ts';
import { group, plural, version } from '../../../src/crd/kafka-cluster.ts';
import { clusterWatchHandlers } from '../../../src/watch/handlers.ts';
import { watchKafkaClusters } from '../../../src/watch/kafka-cluster-watch.ts';
import { clusterWorkflowId, stateQuery } from '../../../src/workflows/messages.ts';
import { restartApiServer } from '../../../tools/testenv/src/kube.ts';
import { minimalSpec } from '../../fixtures/kafka-cluster-specs.ts';
import { adminKubeConfig, createNamespace, eventually } from '../../helpers/cluster.ts';
import { installCrd } from '../../helpers/crd.ts';
import { createKafkaCluster } from '../../helpers/kafka-cluster.ts';
import { clusterHistory } from '../../helpers/workflow-history.ts';
import { startInProcessWorker, type InProcessWorker } from '../../helpers/in-process-worker.ts';
import { stallingProxy, type StallingProxy } from '../../helpers/stalling-proxy.ts';

const pausedSpec = { ...minimalSpec, paused: true };
/** The client's watch inactivity timeout, the bound this test holds the watcher to (plus its first back-off). */
const silenceBoundMs = 30_000 + 1_000;

describe('the watcher under connection faults', () => {
  const kubeconfig = adminKubeConfig();
  const core = kubeconfig.makeApiClient(CoreV1Api);
  const custom = kubeconfig.makeApiClient(CustomObjectsApi);
  const taskQueue = `watch-faults-${Date.now()}`;
  const stopWatching = new AbortController();
  const events: { kind: string; at: number }[] = [];
  let namespace = '';
  let worker: InProcessWorker | undefined;
  let client: Client;
  let proxy: StallingProxy;
  let watching: Promise<void> = Promise.resolve();

  const signalledGenerations = async (name: string): Promise<number[]> =>
    (await clusterHistory(client, namespace, name)).generations;
  const bumpGeneration = async (name: string, delay: string): Promise<number> => {
    const patched = (await custom.patchNamespacedCustomObject({
      group,
      version,
      namespace,
      plural,
      name,
      body: [{ op: 'replace', path: '/spec/rollout/delayBetweenRestarts', value: delay }],
    })) as { metadata: { generation: number } };
    return patched.metadata.generation;
  };
  const seen = (name: string, generation: number, timeoutMs: number) =>
    eventually(
      `${name}'s workflow to see generation ${generation}`,
      async () => {
        const state = await client.workflow
          .getHandle(clusterWorkflowId(namespace, name))
          .query(stateQuery)
          .catch(() => undefined);
        return (state?.lastSeenGeneration ?? 0) >= generation ? Date.now() : undefined;
      },
      timeoutMs,
      200,
    );

  before(async () => {
    await installCrd(kubeconfig);
    namespace = await createNamespace(core, 'watch-faults');
    worker = await startInProcessWorker({
      taskQueue,
      workflowsPath,
      activities: createActivities({ kube: kubeconfig }),
    });
    client = worker.client;
    proxy = await stallingProxy(kubeconfig);
    const { handlers } = clusterWatchHandlers(client, proxy.kubeconfig, taskQueue);
    watching = watchKafkaClusters(
      proxy.kubeconfig,
      { ...handlers, event: (kind) => void events.push({ kind, at: Date.now() }) },
      { namespaces: [namespace] },
      stopWatching.signal,
    );
    await createKafkaCluster(custom, namespace, 'quiet', pausedSpec);
    await seen('quiet', 1, 30_000);
  });

  after(async () => {
    await custom
      .deleteNamespacedCustomObject({ group, version, namespace, plural, name: 'quiet' })
      .catch(() => undefined);
    await eventually('quiet to be gone', async () =>
      custom
        .getNamespacedCustomObject({ group, version, namespace, plural, name: 'quiet' })
        .then(() => undefined)
        .catch(() => true),
    ).catch(() => undefined);
    stopWatching.abort();
    await watching;
    await proxy?.close();
    await worker?.close();
    if (namespace) await core.deleteNamespace({ name: namespace });
  });

  it('replaces a watch connection that goes silent and signals the change made meanwhile, once', async (t) => {
    // Let a fresh watch request be the open connection, then silence it.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const stalled = proxy.stallOpenConnections();
    assert.ok(stalled >= 1, 'the watch connection was open');
    const stalledAt = Date.now();
    const generation = await bumpGeneration('quiet', '7s');
    const seenAt = await seen('quiet', generation, 90_000);
    const tookMs = seenAt - stalledAt;
    t.diagnostic(`change signalled ${tookMs} ms after the connection went silent`);
    assert.ok(tookMs <= silenceBoundMs + 2_000, `the silent watch was replaced after ${tookMs} ms`);
    assert.ok(
      events.some((e) => e.kind === 'reconnect' && e.at > stalledAt),
      'the watcher reconnected',
    );
    assert.deepEqual(await signalledGenerations('quiet'), [1, generation], 'each generation once');
  });

  it('relists after an API server restart (410 Gone) and signals a change made at once, exactly once', async (t) => {
    const before = (await signalledGenerations('quiet')).at(-1) ?? 0;
    const restartedFrom = Date.now();
    await restartApiServer();
    const back = Date.now();
    const generation = await bumpGeneration('quiet', '9s');
    const seenAt = await seen('quiet', generation, 120_000);
    t.diagnostic(
      `API server down and back in ${back - restartedFrom} ms; change signalled ${seenAt - back} ms after it was made`,
    );
    const after = events.filter((e) => e.at >= restartedFrom).map((e) => e.kind);
    assert.ok(after.includes('gone'), `a 410 Gone made the watcher relist (events: ${after.join(', ')})`);
    assert.ok(after.includes('list'));
    const generations = await signalledGenerations('quiet');
    assert.deepEqual(generations.slice(generations.indexOf(before)), [before, generation]);
    assert.equal(new Set(generations).size, generations.length, 'no generation signalled twice');
  });
});
