// Reading a KafkaCluster and writing its status: the one place status is
// written (a merge patch on the status subresource), at step boundaries.
import type { ReconcilePolicy } from '../../domain/reconcile-policy.ts';
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeApi, resourcePath } from '../../kubernetes/api.ts';
import { group, plural, version, type KafkaClusterStatus } from '../../crd/kafka-cluster.ts';
import { checkSpec, type SpecCheck } from '../../crd/spec-check.ts';
import { mergeConditions, type Condition } from '../../domain/conditions.ts';
import { teardownFinalizer } from '../../domain/labels.ts';
import { classified } from '../failures.ts';

export interface ClusterKey {
  namespace: string;
  name: string;
}

export interface ClusterSnapshot {
  uid: string;
  generation: number;
  /** Deletion was asked for; the object stays until the teardown finalizer is removed. */
  deleting: boolean;
  /** The spec as stored: only in reads recorded before specCheck existed (now the check carries it). */
  spec?: unknown;
  /** The spec checked against the schema (defaults applied), or its problems. */
  specCheck?: SpecCheck;
  status: KafkaClusterStatus | undefined;
  /**
   * The operator's resync interval and retry delays, read with the cluster so
   * that a workflow follows the configuration of the operator running it
   * (recorded in history, so replay sees the same). Absent in reads recorded
   * before it existed.
   */
  reconcile?: ReconcilePolicy;
}

/** A finished operation, as the cluster workflow reports it in status.lastOperation. */
export interface FinishedOperation {
  type: string;
  workflowId: string;
  result: string;
  startedAt?: string | undefined;
  finishedAt: string;
}

/** `onOperationFinished`: told of each lastOperation written (the operator counts them in its metrics). */
export function clusterActivities(
  kube: KubeConfig,
  reconcilePolicy: ReconcilePolicy,
  onOperationFinished: (operation: FinishedOperation) => void = () => undefined,
) {
  const api = new KubeApi(kube);
  const clusterPath = (key: ClusterKey, subresource?: string) =>
    resourcePath(`${group}/${version}`, plural, key.namespace, key.name, subresource);
  return {
    /** The KafkaCluster as it is now, or null when it no longer exists. */
    async readCluster(key: ClusterKey): Promise<ClusterSnapshot | null> {
      try {
        const object = await api.get<{
          metadata: { uid: string; generation: number; deletionTimestamp?: string };
          spec: unknown;
          status?: KafkaClusterStatus;
        }>(clusterPath(key));
        return {
          uid: object.metadata.uid,
          generation: object.metadata.generation,
          deleting: Boolean(object.metadata.deletionTimestamp),
          specCheck: checkSpec(object.spec),
          status: object.status,
          reconcile: reconcilePolicy,
        };
      } catch (err) {
        if ((err as { code?: number }).code === 404) return null;
        throw err;
      }
    },

    /**
     * Removes the teardown finalizer from this incarnation (uid) of the
     * cluster, letting Kubernetes delete it; a no-op when it is gone already.
     */
    async removeTeardownFinalizer(key: ClusterKey & { uid: string }): Promise<void> {
      let object: { metadata: { uid: string; resourceVersion: string; finalizers?: string[] } };
      try {
        object = await api.get<typeof object>(clusterPath(key));
      } catch (err) {
        if ((err as { code?: number }).code === 404) return;
        throw err;
      }
      const finalizers = object.metadata.finalizers ?? [];
      if (object.metadata.uid !== key.uid || !finalizers.includes(teardownFinalizer)) return;
      await classified(`removing the finalizer of ${key.namespace}/${key.name}`, () =>
        // Tested against the resourceVersion read: a concurrent change makes this fail and retry.
        api.jsonPatch(clusterPath(key), [
          { op: 'test', path: '/metadata/resourceVersion', value: object.metadata.resourceVersion },
          {
            op: 'replace',
            path: '/metadata/finalizers',
            value: finalizers.filter((f) => f !== teardownFinalizer),
          },
        ]),
      );
    },

    /**
     * Merges `status` into the cluster's status subresource and removes the
     * fields named in `clear`. Conditions merge by type, so writing one
     * condition leaves the others as they are.
     */
    async patchStatus(
      key: ClusterKey & {
        status: Partial<KafkaClusterStatus>;
        clear?: (keyof KafkaClusterStatus)[];
        /** Merged into status.currentOperation; null removes a field. */
        progress?: { step?: string; node?: string | null; blockedReason?: string | null };
      },
    ): Promise<void> {
      let conditions = key.status.conditions;
      if (conditions) {
        const current = await classified(`reading ${key.namespace}/${key.name}`, () =>
          api.get<{ status?: KafkaClusterStatus }>(clusterPath(key, 'status')),
        );
        conditions = mergeConditions(
          (current.status?.conditions ?? []) as Condition[],
          conditions as Condition[],
        );
      }
      // A JSON merge patch removes a field given as null.
      const body = {
        status: {
          ...key.status,
          ...(conditions ? { conditions } : {}),
          ...(key.progress ? { currentOperation: key.progress } : {}),
          ...Object.fromEntries((key.clear ?? []).map((k) => [k, null])),
        },
      };
      await classified(`writing the status of ${key.namespace}/${key.name}`, () =>
        api.mergePatch(clusterPath(key, 'status'), body),
      );
      if (key.status.lastOperation) onOperationFinished(key.status.lastOperation);
    },
  };
}
