// The KafkaCluster collection for the list/watch loop, and the handful of
// fields the watcher acts on.
import type { KubeConfig } from '@kubernetes/client-node';
import { group, plural, version } from '../crd/kafka-cluster-names.ts';
import {
  customObjects,
  listWatch,
  type RawObject,
  type WatchEventKind,
  type WatchOptions,
} from './list-watch.ts';

export type { WatchOptions } from './list-watch.ts';

export interface ClusterObject {
  uid: string;
  namespace: string;
  name: string;
  generation: number;
  annotations: Record<string, string>;
  finalizers: string[];
  resourceVersion: string;
  /** Deletion asked for; the teardown finalizer keeps the object until the workflow is done. */
  deleting: boolean;
  /** The status as written by the workflow: read for metrics only, never trusted for decisions. */
  status?: unknown;
}

export interface WatchHandlers {
  changed(object: ClusterObject): Promise<void>;
  deleted(object: ClusterObject): Promise<void>;
  /** Counters for /metrics and logs. */
  event?(kind: WatchEventKind, detail?: string): void;
}

const toCluster = (raw: RawObject): ClusterObject | undefined => {
  const m = raw.metadata;
  if (!m?.uid || !m.namespace || !m.name) return undefined;
  return {
    uid: m.uid,
    namespace: m.namespace,
    name: m.name,
    generation: m.generation ?? 0,
    annotations: m.annotations ?? {},
    finalizers: m.finalizers ?? [],
    resourceVersion: m.resourceVersion ?? '',
    deleting: Boolean(m.deletionTimestamp),
    status: raw.status,
  };
};

export async function watchKafkaClusters(
  kube: KubeConfig,
  handlers: WatchHandlers,
  options: WatchOptions,
  signal: AbortSignal,
): Promise<void> {
  await listWatch(
    kube,
    customObjects(group, version, plural),
    {
      changed: async (raw) => {
        const cluster = toCluster(raw);
        if (cluster) await handlers.changed(cluster);
      },
      deleted: async (raw) => {
        const cluster = toCluster(raw);
        if (cluster) await handlers.deleted(cluster);
      },
      ...(handlers.event ? { event: handlers.event } : {}),
    },
    options,
    signal,
  );
}
