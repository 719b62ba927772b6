// Observing a cluster's node pods and claims, and waiting for pods to become
// Ready. Waits poll once a second and heartbeat every poll, so a worker that
// dies mid-wait is noticed within the heartbeat timeout and the wait resumes
// elsewhere; a pod that cannot be scheduled or started ends the wait with a
// non-retryable failure naming the pod and Kubernetes' reason.
import { heartbeat, sleep } from '@temporalio/activity';
import type { KubeConfig, V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import { absentWhenNotFound, KubeApi, objectPath, resourcePath } from '../../kubernetes/api.ts';
import { classified } from '../failures.ts';
import { fieldManager } from './objects.ts';
import { annotationKeys, belongsTo, labelKeys } from '../../domain/labels.ts';
import type { ObservedNode } from '../../domain/observed.ts';
import { names } from '../../domain/names.ts';
import { zoneLabel } from '../../domain/manifests/pod.ts';
import { failure } from '../../domain/failures.ts';

/** How long a pod may show a failure before a wait gives up on it. */
const failureGraceMs = 30_000;

// Container waiting reasons that do not cure themselves: the pod cannot run
// until something changes, so waiting for it longer only hides the cause.
const stuckReasons = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'CrashLoopBackOff',
  'RunContainerError',
]);

/**
 * A container counts as crash-looping once it has been restarted this often.
 * The kubelet backs off before every restart, even after the first crash, and
 * says CrashLoopBackOff meanwhile: a broker killed once just after a roll
 * restarted it is a restart under way, not a broker that cannot start
 * (the soak of the benchmark found a roll blocked that way).
 */
const crashLoopRestarts = 3;

export function podFailure(pod: V1Pod, nowMs = Date.now()): { reason: string; message: string } | undefined {
  // Past its deletion deadline and still there: no kubelet confirms it, as when its node is lost.
  const deadline = pod.metadata?.deletionTimestamp;
  if (deadline && nowMs > new Date(deadline).getTime()) {
    return {
      reason: 'Terminating',
      message: `deleted but still there after its grace period (due ${new Date(deadline).toISOString()}): its node may be lost; kubectl delete pod --force removes it`,
    };
  }
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  // Waiting for its volume to be provisioned and bound is not a failure: the binder is on it.
  const waitingForVolume = /unbound immediate PersistentVolumeClaims/.test(scheduled?.message ?? '');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable' && !waitingForVolume) {
    return { reason: 'Unschedulable', message: scheduled.message ?? 'the pod cannot be scheduled' };
  }
  for (const status of pod.status?.containerStatuses ?? []) {
    const waiting = status.state?.waiting;
    if (waiting?.reason === 'CrashLoopBackOff' && status.restartCount < crashLoopRestarts) continue;
    if (waiting?.reason && stuckReasons.has(waiting.reason)) {
      return { reason: waiting.reason, message: waiting.message ?? waiting.reason };
    }
  }
  return undefined;
}

const isReady = (pod: V1Pod): boolean =>
  pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

export function toObserved(
  pod: V1Pod | undefined,
  claim: V1PersistentVolumeClaim | undefined,
): ObservedNode | undefined {
  const labels = pod?.metadata?.labels ?? claim?.metadata?.labels;
  const name = pod?.metadata?.name ?? claim?.metadata?.name?.replace(/^data-/, '');
  if (!labels || !name) return undefined;
  const failure = pod && podFailure(pod);
  return {
    podName: name,
    nodeId: Number(labels[labelKeys.nodeId]),
    pool: labels[labelKeys.pool] ?? '',
    zone:
      pod?.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0]?.matchExpressions?.find(
        (e) => e.key === zoneLabel,
      )?.values?.[0] ?? '',
    roles: [
      ...(labels[labelKeys.controller] === 'true' ? (['controller'] as const) : []),
      ...(labels[labelKeys.broker] === 'true' ? (['broker'] as const) : []),
    ],
    podExists: pod !== undefined && !pod.metadata?.deletionTimestamp,
    claimExists: claim !== undefined,
    ready: pod !== undefined && isReady(pod),
    ...(pod?.status?.podIP ? { address: pod.status.podIP } : {}),
    ...(pod?.metadata?.annotations?.[annotationKeys.configHash]
      ? { configHash: pod.metadata.annotations[annotationKeys.configHash] }
      : {}),
    ...(failure ? { failure } : {}),
    ...(claim?.spec?.resources?.requests?.storage
      ? {
          claim: {
            requested: claim.spec.resources.requests.storage,
            ...(claim.status?.capacity?.storage ? { capacity: claim.status.capacity.storage } : {}),
            resizePending: (claim.status?.conditions ?? []).some(
              (c) => (c.type === 'Resizing' || c.type === 'FileSystemResizePending') && c.status === 'True',
            ),
            ...(claim.spec.storageClassName ? { storageClass: claim.spec.storageClassName } : {}),
          },
        }
      : {}),
  };
}

/** Lists a cluster's pods by the label every one of them carries. */
const podLister = (api: KubeApi) => async (namespace: string, cluster: string) =>
  (
    await api.get<{ items: V1Pod[] }>(resourcePath('v1', 'pods', namespace), {
      labelSelector: `${labelKeys.cluster}=${cluster}`,
    })
  ).items;

/** Observing the cluster's nodes and restarting one. */
export function podActivities(kube: KubeConfig) {
  const api = new KubeApi(kube);
  const listPods = podLister(api);

  return {
    /**
     * Every node pod and claim of the cluster, by the labels the manifests put
     * on them; with `uid`, only those that belong to that KafkaCluster (not the
     * kept claims of an earlier cluster of the same name).
     */
    async observeNodes(key: { namespace: string; cluster: string; uid?: string }): Promise<ObservedNode[]> {
      const selector = `${labelKeys.cluster}=${key.cluster}`;
      const ours = <T extends { metadata?: Parameters<typeof belongsTo>[0] }>(items: T[]): T[] =>
        key.uid === undefined ? items : items.filter((o) => belongsTo(o.metadata, key.uid as string));
      const [pods, claims] = await Promise.all([
        listPods(key.namespace, key.cluster).then(ours),
        api
          .get<{ items: V1PersistentVolumeClaim[] }>(
            resourcePath('v1', 'persistentvolumeclaims', key.namespace),
            {
              labelSelector: selector,
            },
          )
          .then((list) => ({ items: ours(list.items) })),
      ]);
      const names = new Set([
        ...pods.map((p) => p.metadata?.name ?? ''),
        ...claims.items.map((c) => (c.metadata?.name ?? '').replace(/^data-/, '')),
      ]);
      return [...names]
        .map((name) =>
          toObserved(
            pods.find((p) => p.metadata?.name === name),
            claims.items.find((c) => c.metadata?.name === `data-${name}`),
          ),
        )
        .filter((n): n is ObservedNode => n !== undefined && Number.isInteger(n.nodeId))
        .sort((a, b) => a.nodeId - b.nodeId);
    },

    /**
     * Restarts one node: deletes its pod (graceful: Kafka shuts down in its
     * grace period), waits until it is gone, and creates the desired pod.
     * Idempotent: a pod that already carries the desired config hash (and
     * restart token) is left
     * alone, so a retried or replayed restart never restarts a node twice.
     */
    async restartNode(input: { pod: V1Pod }): Promise<'restarted' | 'already-current'> {
      const namespace = input.pod.metadata?.namespace ?? '';
      const name = input.pod.metadata?.name ?? '';
      const wanted = (pod: V1Pod | undefined) =>
        [annotationKeys.configHash, annotationKeys.restartToken]
          .map((k) => pod?.metadata?.annotations?.[k])
          .join('/');
      const path = resourcePath('v1', 'pods', namespace, name);
      const read = () => api.get<V1Pod>(path).catch(absentWhenNotFound);
      const current = await read();
      if (current && !current.metadata?.deletionTimestamp && wanted(current) === wanted(input.pod)) {
        return 'already-current';
      }
      if (current && !current.metadata?.deletionTimestamp) {
        await api.delete(path, { preconditions: { uid: current.metadata?.uid } });
      }
      for (let gone = current === undefined; !gone;) {
        heartbeat({ pod: name, step: 'waiting for the old pod to stop' });
        await sleep(500);
        gone = (await read()) === undefined;
      }
      await classified(`creating pod ${namespace}/${name}`, () =>
        api.apply(objectPath(input.pod), input.pod, fieldManager),
      );
      return 'restarted';
    },
  };
}

/** Removing nodes and waiting for pods to be ready. */
export function podLifecycleActivities(kube: KubeConfig) {
  const api = new KubeApi(kube);
  const listPods = podLister(api);
  return {
    /**
     * Removes nodes that scale-down drained: deletes each pod and waits until
     * it is gone, then deletes its claim when the pool asks for that.
     * Idempotent: what is already gone is skipped.
     */
    async removeNodes(input: {
      namespace: string;
      pods: string[];
      deleteClaims: string[];
      /** Stop them all at once (a teardown) instead of one after the other. */
      together?: boolean;
    }): Promise<void> {
      const { namespace } = input;
      const podPath = (name: string) => resourcePath('v1', 'pods', namespace, name);
      const stopped = async (name: string) => {
        while ((await api.get(podPath(name)).catch(absentWhenNotFound)) !== undefined) {
          heartbeat({ pod: name, step: 'waiting for the pod to stop' });
          await sleep(500);
        }
      };
      if (input.together) {
        for (const name of input.pods) await api.delete(podPath(name)).catch(absentWhenNotFound);
        for (const name of input.pods) await stopped(name);
      } else {
        for (const name of input.pods) {
          await api.delete(podPath(name)).catch(absentWhenNotFound);
          await stopped(name);
        }
      }
      for (const pod of input.deleteClaims) {
        await api
          .delete(resourcePath('v1', 'persistentvolumeclaims', namespace, names.dataClaim(pod)))
          .catch(absentWhenNotFound);
      }
    },

    /** Waits until every named pod is Ready; returns their pod IPs by name. */
    async waitForPodsReady(key: {
      namespace: string;
      cluster: string;
      pods: string[];
    }): Promise<Record<string, string>> {
      // A failure counts once it has lasted a while: a scheduler or image pull may be a moment behind.
      const failingSince = new Map<string, number>();
      for (;;) {
        const pods = (await listPods(key.namespace, key.cluster)).filter((p) =>
          key.pods.includes(p.metadata?.name ?? ''),
        );
        for (const pod of pods) {
          const problem = podFailure(pod);
          const id = `${pod.metadata?.name}/${problem?.reason}`;
          if (!problem) {
            for (const k of failingSince.keys())
              if (k.startsWith(`${pod.metadata?.name}/`)) failingSince.delete(k);
            continue;
          }
          if (!failingSince.has(id)) failingSince.set(id, Date.now());
          if (Date.now() - (failingSince.get(id) ?? 0) >= failureGraceMs) {
            throw failure(
              'PodCannotStart',
              `pod ${pod.metadata?.name} cannot run: ${problem.reason}: ${problem.message}`,
            );
          }
        }
        const ready = pods.filter(isReady);
        heartbeat({ ready: ready.length, of: key.pods.length });
        if (ready.length === key.pods.length) {
          return Object.fromEntries(ready.map((p) => [p.metadata?.name ?? '', p.status?.podIP ?? '']));
        }
        await sleep(1_000);
      }
    },
  };
}
