// Reading a KafkaCluster and writing its status: the one place status is
// written (a merge patch on the status subresource), at step boundaries.
import { countOperation } from '../../operator/metrics.ts';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { group, plural, version, type KafkaClusterStatus } from '../../crd/kafka-cluster.ts';
import { mergeConditions, type Condition } from '../../domain/conditions.ts';
import { classified } from '../failures.ts';

export interface ClusterKey {
  namespace: string;
  name: string;
}

export interface ClusterSnapshot {
  uid: string;
  generation: number;
  spec: unknown;
  status: KafkaClusterStatus | undefined;
}

export function clusterActivities(kube: KubeConfig) {
  const custom = kube.makeApiClient(CustomObjectsApi);
  return {
    /** The KafkaCluster as it is now, or null when it no longer exists. */
    async readCluster(key: ClusterKey): Promise<ClusterSnapshot | null> {
      try {
        const object = (await custom.getNamespacedCustomObject({ group, version, plural, ...key })) as {
          metadata: { uid: string; generation: number };
          spec: unknown;
          status?: KafkaClusterStatus;
        };
        return {
          uid: object.metadata.uid,
          generation: object.metadata.generation,
          spec: object.spec,
          status: object.status,
        };
      } catch (err) {
        if ((err as { code?: number }).code === 404) return null;
        throw err;
      }
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
        const current = (await classified(`reading ${key.namespace}/${key.name}`, () =>
          custom.getNamespacedCustomObjectStatus({
            group,
            version,
            plural,
            namespace: key.namespace,
            name: key.name,
          }),
        )) as { status?: KafkaClusterStatus };
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
        custom.patchNamespacedCustomObjectStatus(
          { group, version, plural, namespace: key.namespace, name: key.name, body },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        ),
      );
      if (key.status.lastOperation) countOperation(key.status.lastOperation);
    },
  };
}
