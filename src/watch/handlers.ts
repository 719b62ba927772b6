// What the watcher does with each KafkaCluster event: make sure it carries
// the teardown finalizer, signal the workflow for a new generation, then
// carry out annotation requests; a deletion asked for starts the teardown. Shared by `keelson watch`/`operator` and the tests.
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeApi } from '../kubernetes/api.ts';
import { ensureTeardownFinalizer } from './finalizer.ts';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { AnnotationHandler } from './annotation-handler.ts';
import { ClusterSignaller } from './cluster-signals.ts';
import type { WatchHandlers } from './kafka-cluster-watch.ts';

export function clusterWatchHandlers(
  client: Client,
  kube: KubeConfig,
  taskQueue: string,
  log?: Logger,
): { handlers: WatchHandlers; signaller: ClusterSignaller; annotations: AnnotationHandler } {
  const signaller = new ClusterSignaller(client, taskQueue);
  const api = new KubeApi(kube);
  const annotations = new AnnotationHandler(client, kube);
  return {
    signaller,
    annotations,
    handlers: {
      changed: async (cluster) => {
        if (cluster.deleting) {
          await signaller.deleting(cluster);
          return;
        }
        await ensureTeardownFinalizer(api, cluster).catch((err: unknown) =>
          // Retried at the next event or relist; until then a deletion would not wait for teardown.
          log?.warn(
            { err, cluster: cluster.name, namespace: cluster.namespace },
            'could not add the teardown finalizer',
          ),
        );
        const before = signaller.signalsSent;
        await signaller.changed(cluster);
        const at = { cluster: cluster.name, namespace: cluster.namespace };
        if (signaller.signalsSent > before) log?.info({ ...at, generation: cluster.generation }, 'signalled');
        for (const { request, result } of await annotations.handle(cluster)) {
          log?.info({ ...at, request: request.kind, value: request.value, result }, 'annotation request');
        }
      },
      deleted: async (cluster) => {
        await signaller.deleted(cluster);
        log?.info({ cluster: cluster.name, namespace: cluster.namespace }, 'deleted');
      },
      event: (kind, detail) =>
        kind === 'handler-error' || kind === 'error'
          ? log?.warn({ event: kind, detail }, `watch ${kind}`)
          : log?.info({ event: kind, detail }, `watch ${kind}`),
    },
  };
}
