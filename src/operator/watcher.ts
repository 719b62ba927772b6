// `keelson watch`: the watcher (signals each KafkaCluster's workflow for every
// new generation, and for owned pods and claims deleted or pods turning
// unready), and the half `keelson operator` runs next to the worker. Under
// leader election only the Lease holder watches. Logs are pino JSON lines.
import type { KubeConfig } from '@kubernetes/client-node';
import { Client, Connection } from '@temporalio/client';
import type { Logger } from 'pino';
import { LeaderElector } from './leader-election.ts';
import type { ProblemBoard } from './problems.ts';
import type { Tracing } from './tracing.ts';
import type { Span } from '@opentelemetry/api';
import { forgetAllClusters, leader, recordClusterStatus, signalsSent, watchEvents } from './metrics.ts';
import type { KafkaClusterStatus } from '../crd/kafka-cluster-status.ts';

/** A status of an unexpected shape (written by hand) costs its metrics, never the watch. */
function recordStatus(namespace: string, name: string, status: unknown): void {
  try {
    recordClusterStatus(namespace, name, status as KafkaClusterStatus | undefined);
  } catch {
    recordClusterStatus(namespace, name, undefined);
  }
}
import { clusterWatchHandlers } from '../watch/handlers.ts';
import { watchKafkaClusters } from '../watch/kafka-cluster-watch.ts';
import {
  ClusterResourceSignaller,
  topicKind,
  userKind,
  watchClusterResources,
} from '../watch/cluster-resource-watch.ts';
import type { WatchEventKind } from '../watch/list-watch.ts';
import { driftSender, watchOwnedObjects } from '../watch/owned-objects.ts';

export { Connection };

export interface WatchOptions {
  temporalNamespace: string;
  taskQueue: string;
  /** Namespaces to watch; all when empty. */
  namespaces: string[];
  /** Lease to hold while watching; no election when undefined. */
  leaderElection?: { namespace: string; name: string; identity: string; leaseSeconds: number };
  /** A span per KafkaCluster event, carried into the workflow by the signal's headers. */
  tracing?: Tracing | undefined;
}

/** What /readyz and the logs need to know about the watcher. */
export interface WatcherStatus {
  leading: boolean;
  /** The KafkaClusters were listed since leadership was taken. */
  listed: boolean;
}

export async function runWatcher(
  kube: KubeConfig,
  connection: Connection,
  options: WatchOptions,
  status: WatcherStatus,
  log: Logger,
  stop: AbortSignal,
  problems?: ProblemBoard,
): Promise<void> {
  const tracing = options.tracing;
  const client = new Client({
    connection,
    namespace: options.temporalNamespace,
    ...(tracing ? { interceptors: { workflow: [tracing.clientInterceptor()] } } : {}),
  });
  // Every event the watcher acts on is a span; `keelson.signalled` tells those that woke a workflow.
  const traced = <T>(
    name: string,
    cluster: { namespace: string; name: string; generation: number },
    work: (span?: Span) => Promise<T>,
  ): Promise<T> =>
    tracing
      ? tracing.inSpan(
          name,
          {
            'k8s.namespace.name': cluster.namespace,
            'keelson.cluster': cluster.name,
            'keelson.generation': cluster.generation,
          },
          work,
        )
      : work();
  const { handlers, signaller } = clusterWatchHandlers(client, kube, options.taskQueue, log);
  const event = (kind: WatchEventKind, detail?: string) => {
    watchEvents.inc({ kind });
    if (kind === 'list') status.listed = true;
    handlers.event?.(kind, detail);
  };
  const send = driftSender(client);
  const resourceSignallers = [userKind, topicKind].map(
    (kind) => new ClusterResourceSignaller(kind, client, options.taskQueue),
  );
  const watchAll = async (signal: AbortSignal) => {
    log.info(
      { namespaces: options.namespaces.length ? options.namespaces : 'all', taskQueue: options.taskQueue },
      'watching KafkaClusters, KafkaUsers, KafkaTopics and the pods and claims the clusters own',
    );
    await Promise.all([
      watchKafkaClusters(
        kube,
        {
          changed: async (cluster) => {
            recordStatus(cluster.namespace, cluster.name, cluster.status);
            await traced('KafkaCluster changed', cluster, async (span) => {
              const before = signaller.signalsSent;
              await handlers.changed(cluster);
              signalsSent.inc({ signal: 'spec' }, signaller.signalsSent - before);
              span?.setAttribute('keelson.signalled', signaller.signalsSent > before);
            });
          },
          deleted: async (cluster) => {
            recordStatus(cluster.namespace, cluster.name, undefined);
            await traced('KafkaCluster deleted', cluster, () => handlers.deleted(cluster));
          },
          event,
        },
        { namespaces: options.namespaces },
        signal,
      ),
      ...resourceSignallers.map((signaller) =>
        watchClusterResources(
          kube,
          signaller,
          {
            namespaces: options.namespaces,
            event: (kind, detail) => event(kind, detail && `${signaller.kind.plural}: ${detail}`),
          },
          signal,
        ),
      ),
      watchOwnedObjects(
        kube,
        async (object, reason) => {
          await send(object, reason);
          signalsSent.inc({ signal: 'drift' });
          log.info({ cluster: object.cluster, namespace: object.namespace, reason }, 'drift signalled');
        },
        { namespaces: options.namespaces, event },
        signal,
      ),
    ]);
  };
  const election = options.leaderElection;
  if (!election) {
    status.leading = true;
    await watchAll(stop);
    return;
  }
  const elector = new LeaderElector(kube, {
    ...election,
    onProblem: (problem) => problems?.set('lease', problem),
    onChange: (leading) => {
      // Only the leader sees the clusters: a replica that stops leading stops reporting them.
      if (!leading) forgetAllClusters();
      status.leading = leading;
      status.listed = false;
      leader.set(leading ? 1 : 0);
      log.info(
        { identity: election.identity, lease: `${election.namespace}/${election.name}` },
        leading ? 'leading: watching' : 'not leading',
      );
    },
  });
  log.info(
    { identity: election.identity, lease: `${election.namespace}/${election.name}` },
    'waiting for the leader Lease',
  );
  await elector.run(stop, watchAll);
}
