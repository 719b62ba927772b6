// Creating and updating the objects a cluster owns with server-side apply
// (field manager "keelson", forced), so applying the same manifest twice is
// harmless and fields other controllers own are left alone.
import {
  KubernetesObjectApi,
  PatchStrategy,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { classified } from '../failures.ts';

export const fieldManager = 'keelson';

export function objectActivities(kube: KubeConfig) {
  const objects = kube.makeApiClient(KubernetesObjectApi);
  return {
    async applyObjects(manifests: KubernetesObject[]): Promise<void> {
      for (const manifest of manifests) {
        const what = `applying ${manifest.kind} ${manifest.metadata?.namespace}/${manifest.metadata?.name}`;
        await classified(what, () =>
          objects.patch(manifest, undefined, undefined, fieldManager, true, PatchStrategy.ServerSideApply),
        );
      }
    },
  };
}
