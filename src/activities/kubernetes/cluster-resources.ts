// The resources that belong to a KafkaCluster by spec.cluster (KafkaUsers,
// KafkaTopics) as their per-cluster activities read and write them: listing
// one cluster's, reading the cluster, finalizers added and removed with the
// resourceVersion read (a concurrent change fails the patch rather than being
// lost), and a Ready status written only when it changes, so a pass that
// changes nothing makes no watch event that would wake the workflow again.
import type { KubeConfig } from '@kubernetes/client-node';
import { absentWhenNotFound, KubeApi, resourcePath } from '../../kubernetes/api.ts';
import { group, plural as clusterPlural, version } from '../../crd/kafka-cluster.ts';
import type { SecurityStage } from '../../domain/tls.ts';

export interface ClusterResource<Status> {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    generation?: number;
    creationTimestamp?: string;
    annotations?: Record<string, string>;
    finalizers?: string[];
    deletionTimestamp?: string;
    resourceVersion?: string;
  };
  spec: unknown;
  status?: Status;
}

export interface ClusterObject {
  metadata: { uid: string; deletionTimestamp?: string };
  spec: unknown;
  status?: { securityStage?: SecurityStage };
}

interface ReadyStatus {
  observedGeneration?: number | undefined;
  conditions?:
    | {
        type: 'Ready';
        status: 'True' | 'False' | 'Unknown';
        reason: string;
        message: string;
        lastTransitionTime: string;
        observedGeneration?: number | undefined;
      }[]
    | undefined;
}

const ignoreNotFound = (err: { code?: number }) => {
  if (err.code !== 404) throw err;
};

/** JSON with keys sorted: the API server hands objects back with their keys in its own order. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );

const withoutTimes = (status: ReadyStatus | undefined): string =>
  canonical(
    status && { ...status, conditions: status.conditions?.map((c) => ({ ...c, lastTransitionTime: '' })) },
  );

export function clusterResources<Status extends ReadyStatus>(kube: KubeConfig, plural: string) {
  const api = new KubeApi(kube);
  type Resource = ClusterResource<Status>;

  async function patch(resource: Resource, body: object, status = false): Promise<void> {
    const { namespace, name } = resource.metadata;
    await api.mergePatch(
      resourcePath(`${group}/${version}`, plural, namespace, name, status ? 'status' : undefined),
      body,
    );
  }

  /** Writes the status when it differs from the stored one; a condition keeps its time while its status holds. */
  async function writeStatus(resource: Resource, status: Status): Promise<void> {
    if (withoutTimes(resource.status) === withoutTimes(status)) return;
    const before = resource.status?.conditions?.find((c) => c.type === 'Ready');
    const conditions = status.conditions?.map((c) => ({
      ...c,
      lastTransitionTime: before?.status === c.status ? before.lastTransitionTime : c.lastTransitionTime,
    }));
    await patch(resource, { status: { ...status, ...(conditions ? { conditions } : {}) } }, true).catch(
      ignoreNotFound,
    );
  }

  /** The Ready condition of a resource at its current generation. */
  const readyCondition = (resource: Resource, ok: boolean, reason: string, message: string) => ({
    type: 'Ready' as const,
    status: ok ? ('True' as const) : ('False' as const),
    reason,
    message: message.slice(0, 4000),
    lastTransitionTime: new Date().toISOString(),
    ...(resource.metadata.generation !== undefined
      ? { observedGeneration: resource.metadata.generation }
      : {}),
  });

  return {
    patch,

    /** The resources of the namespace that name `cluster` in spec.cluster. */
    async list(namespace: string, cluster: string): Promise<Resource[]> {
      const listed = await api.get<{ items: Resource[] }>(
        resourcePath(`${group}/${version}`, plural, namespace),
      );
      return listed.items.filter((r) => (r.spec as { cluster?: string } | undefined)?.cluster === cluster);
    },

    /** The KafkaCluster, or undefined when it does not exist. */
    readCluster: (namespace: string, name: string): Promise<ClusterObject | undefined> =>
      api
        .get<ClusterObject>(resourcePath(`${group}/${version}`, clusterPlural, namespace, name))
        .catch(absentWhenNotFound),

    async addFinalizer(resource: Resource, finalizer: string): Promise<void> {
      const finalizers = resource.metadata.finalizers ?? [];
      if (finalizers.includes(finalizer)) return;
      await patch(resource, {
        metadata: {
          resourceVersion: resource.metadata.resourceVersion,
          finalizers: [...finalizers, finalizer],
        },
      });
    },

    async removeFinalizer(resource: Resource, finalizer: string): Promise<void> {
      await patch(resource, {
        metadata: {
          resourceVersion: resource.metadata.resourceVersion,
          finalizers: (resource.metadata.finalizers ?? []).filter((f) => f !== finalizer),
        },
      }).catch(ignoreNotFound);
    },

    writeStatus,

    readyCondition,

    /** Writes Ready=False with why, keeping the rest of the status (plus `extra`). */
    notReady: (resource: Resource, reason: string, message: string, extra: Partial<Status> = {}) =>
      writeStatus(resource, {
        ...resource.status,
        ...extra,
        ...(resource.metadata.generation !== undefined
          ? { observedGeneration: resource.metadata.generation }
          : {}),
        conditions: [readyCondition(resource, false, reason, message)],
      } as Status),
  };
}

/**
 * Runs queued writes at most `concurrency` at a time: a pass over a thousand
 * resources writes their statuses in parallel rather than one round trip
 * after another. drain() waits for all and throws the first failure.
 */
export function writeQueue(concurrency = 32) {
  const waiting: (() => Promise<void>)[] = [];
  const running = new Set<Promise<void>>();
  let failure: unknown;
  const next = (): void => {
    while (running.size < concurrency && waiting.length > 0) {
      const write = waiting.shift() as () => Promise<void>;
      const done: Promise<void> = write()
        .catch((err: unknown) => void (failure ??= err))
        .finally(() => {
          running.delete(done);
          next();
        });
      running.add(done);
    }
  };
  return {
    add(write: () => Promise<void>): void {
      waiting.push(write);
      next();
    },
    async drain(): Promise<void> {
      while (running.size > 0) await Promise.race(running);
      if (failure !== undefined) throw failure;
    },
  };
}
