// `keelson watch`: the watcher on its own (signals workflows for every
// KafkaCluster change, and for owned pods and claims deleted or pods turning
// unready), and the half `keelson operator` runs next to the worker. Logs
// are pino JSON lines on stderr.
import { KubeConfig } from '@kubernetes/client-node';
import { Client, Connection } from '@temporalio/client';
import { pino } from 'pino';
import { clusterWatchHandlers } from '../watch/handlers.ts';
import { watchKafkaClusters } from '../watch/kafka-cluster-watch.ts';
import { driftSender, watchOwnedObjects } from '../watch/owned-objects.ts';

export interface WatchCommandOptions {
  temporalAddress: string;
  temporalNamespace: string;
  taskQueue: string;
  kubeconfig: string | undefined;
  /** Namespaces to watch; all when empty. */
  namespaces: string[];
}

export async function runWatcher(options: WatchCommandOptions, stop: Promise<void>): Promise<void> {
  const log = pino({ name: 'keelson-watch' }, pino.destination(2));
  const kube = new KubeConfig();
  if (options.kubeconfig) kube.loadFromFile(options.kubeconfig);
  else kube.loadFromDefault();
  const connection = await Connection.connect({ address: options.temporalAddress });
  const controller = new AbortController();
  void stop.then(() => controller.abort());
  try {
    const client = new Client({ connection, namespace: options.temporalNamespace });
    const { handlers } = clusterWatchHandlers(client, kube, options.taskQueue, log);
    log.info(
      { namespaces: options.namespaces.length ? options.namespaces : 'all', taskQueue: options.taskQueue },
      'keelson watch: watching KafkaClusters',
    );
    const send = driftSender(client);
    await Promise.all([
      watchKafkaClusters(kube, handlers, { namespaces: options.namespaces }, controller.signal),
      watchOwnedObjects(
        kube,
        async (object, reason) => {
          await send(object, reason);
          log.info({ cluster: object.cluster, namespace: object.namespace, reason }, 'drift signalled');
        },
        { namespaces: options.namespaces, event: handlers.event },
        controller.signal,
      ),
    ]);
  } finally {
    await connection.close();
  }
}
