// The pods and claims the operator owns, watched so that the cluster
// workflow hears at once when one is deleted (repair) or a pod stops being
// ready (zone failure), instead of at its next pass. Only transitions to
// not-ready are reported: a pod seen unready for the first time (including
// at start-up, after a relist) counts, one that stays unready does not.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import { labelKeys } from '../domain/labels.ts';
import { clusterWorkflowId, driftSignal } from '../workflows/messages.ts';
import { listWatch, type ListWatchHandlers, type RawObject, type WatchOptions } from './list-watch.ts';

export const ownedSelector = 'app.kubernetes.io/managed-by=keelson';

export interface OwnedObject {
  kind: 'Pod' | 'PersistentVolumeClaim';
  uid: string;
  namespace: string;
  name: string;
  /** The KafkaCluster it belongs to (its keelson.dev/cluster label). */
  cluster: string;
  ready: boolean;
}

export function toOwnedObject(kind: OwnedObject['kind'], raw: RawObject): OwnedObject | undefined {
  const m = raw.metadata;
  const cluster = m?.labels?.[labelKeys.cluster];
  if (!m?.uid || !m.namespace || !m.name || !cluster) return undefined;
  const ready = raw.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  return { kind, uid: m.uid, namespace: m.namespace, name: m.name, cluster, ready };
}

/** Which events are drift worth a signal; remembers each pod's readiness. */
export class DriftTracker {
  readonly #ready = new Map<string, boolean>();

  changed(object: OwnedObject): string | undefined {
    if (object.kind !== 'Pod') return undefined;
    const before = this.#ready.get(object.uid);
    this.#ready.set(object.uid, object.ready);
    return !object.ready && before !== false ? `pod ${object.name} not ready` : undefined;
  }

  deleted(object: OwnedObject): string {
    this.#ready.delete(object.uid);
    return `${object.kind === 'Pod' ? 'pod' : 'claim'} ${object.name} deleted`;
  }
}

export interface DriftSender {
  (object: OwnedObject, reason: string): Promise<void>;
}

/** Signals the cluster's workflow; a cluster without a running workflow has nothing to wake. */
export const driftSender =
  (client: Client): DriftSender =>
  async (object, reason) => {
    await client.workflow
      .getHandle(clusterWorkflowId(object.namespace, object.cluster))
      .signal(driftSignal, { reason })
      .catch(() => undefined);
  };

/** Lists and watches the owned pods and claims until `signal` aborts. */
export async function watchOwnedObjects(
  kube: KubeConfig,
  send: DriftSender,
  options: WatchOptions & { event?: ListWatchHandlers['event'] },
  signal: AbortSignal,
): Promise<void> {
  const tracker = new DriftTracker();
  const handlers = (kind: OwnedObject['kind']): ListWatchHandlers => ({
    changed: async (raw) => {
      const object = toOwnedObject(kind, raw);
      const reason = object && tracker.changed(object);
      if (object && reason) await send(object, reason);
    },
    deleted: async (raw) => {
      const object = toOwnedObject(kind, raw);
      if (object) await send(object, tracker.deleted(object));
    },
    ...(options.event ? { event: options.event } : {}),
  });
  const pods = {
    path: (ns: string) => (ns ? `/api/v1/namespaces/${ns}/pods` : '/api/v1/pods'),
    labelSelector: ownedSelector,
  };
  const claims = {
    path: (ns: string) =>
      ns ? `/api/v1/namespaces/${ns}/persistentvolumeclaims` : '/api/v1/persistentvolumeclaims',
    labelSelector: ownedSelector,
  };
  await Promise.all([
    listWatch(kube, pods, handlers('Pod'), options, signal),
    listWatch(kube, claims, handlers('PersistentVolumeClaim'), options, signal),
  ]);
}
