// Creating and updating the objects a cluster owns with server-side apply
// (field manager "keelson", forced), so applying the same manifest twice is
// harmless and fields other controllers own are left alone. Forced apply
// would take over any object of the same name, so each one is checked first:
// an object that belongs to another KafkaCluster (another uid: a cluster whose
// names collide, or an earlier cluster of the same name) is never applied
// over, and nothing of the batch is applied.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { absentWhenNotFound, KubeApi, objectPath } from '../../kubernetes/api.ts';
import { annotationKeys, belongsTo, labelKeys, ownerUidOf } from '../../domain/labels.ts';
import { classified } from '../failures.ts';
import { failure } from '../../domain/failures.ts';

export const fieldManager = 'keelson';

/**
 * Why applying `manifest` over `existing` would take another cluster's object,
 * or undefined when it would not. A kept volume claim of an earlier cluster is
 * taken over only when the new cluster runs with the Kafka cluster id of the
 * data on it (spec.kafkaClusterId), which is how a user asks for it.
 */
export function ownershipConflict(
  manifest: KubernetesObject,
  existing: KubernetesObject | undefined,
): string | undefined {
  const uid = manifest.metadata?.labels?.[labelKeys.clusterUid];
  if (uid === undefined || existing === undefined || belongsTo(existing.metadata, uid)) return undefined;
  const dataId = existing.metadata?.annotations?.[annotationKeys.kafkaClusterId];
  if (
    manifest.kind === 'PersistentVolumeClaim' &&
    dataId !== undefined &&
    dataId === manifest.metadata?.annotations?.[annotationKeys.kafkaClusterId]
  ) {
    return undefined;
  }
  const owner = existing.metadata?.labels?.[labelKeys.cluster] ?? 'another KafkaCluster';
  const name = `${manifest.kind} ${manifest.metadata?.namespace}/${manifest.metadata?.name}`;
  return manifest.kind === 'PersistentVolumeClaim' && owner === manifest.metadata?.labels?.[labelKeys.cluster]
    ? `${name} was kept by an earlier KafkaCluster ${owner} (uid ${ownerUidOf(existing.metadata)}), with Kafka cluster id ${dataId ?? 'unknown'} on it; to run this cluster on that data, create it with spec.kafkaClusterId: ${dataId ?? '<the id>'}; otherwise delete the claim`
    : `${name} belongs to KafkaCluster ${owner} (uid ${ownerUidOf(existing.metadata)}), not to this one; Keelson does not take over another cluster's objects`;
}

export function objectActivities(kube: KubeConfig) {
  const api = new KubeApi(kube);
  const read = (manifest: KubernetesObject): Promise<KubernetesObject | undefined> =>
    api.get<KubernetesObject>(objectPath(manifest)).catch(absentWhenNotFound);
  return {
    /**
     * Applies the manifests; returns "Kind/name" of each object the apply
     * created or changed (an unchanged object keeps its resourceVersion), so
     * a pass that puts drift back can say what it put back.
     */
    async applyObjects(manifests: KubernetesObject[]): Promise<string[]> {
      const conflicts: string[] = [];
      const before = new Map<KubernetesObject, string | undefined>();
      for (const manifest of manifests) {
        const what = `reading ${manifest.kind} ${manifest.metadata?.namespace}/${manifest.metadata?.name}`;
        const existing = await classified(what, () => read(manifest));
        before.set(manifest, existing?.metadata?.resourceVersion);
        const conflict = ownershipConflict(manifest, existing);
        if (conflict) conflicts.push(conflict);
      }
      if (conflicts.length > 0) {
        throw failure('OwnedByAnotherCluster', conflicts.join('; '));
      }
      const changed: string[] = [];
      for (const manifest of manifests) {
        const what = `applying ${manifest.kind} ${manifest.metadata?.namespace}/${manifest.metadata?.name}`;
        const applied = await classified(what, () =>
          api.apply<KubernetesObject>(objectPath(manifest), manifest, fieldManager),
        );
        if (applied.metadata?.resourceVersion !== before.get(manifest))
          changed.push(`${manifest.kind}/${manifest.metadata?.name}`);
      }
      return changed;
    },
  };
}
