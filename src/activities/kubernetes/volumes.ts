// Growing volume claims: which StorageClasses let a claim grow, and waiting
// until grown claims report the new size (the volume resized and then its
// file system, which Kubernetes shows as Resizing / FileSystemResizePending).
import type { KubeConfig, V1PersistentVolumeClaim, V1StorageClass } from '@kubernetes/client-node';
import { absentWhenNotFound, KubeApi, resourcePath } from '../../kubernetes/api.ts';
import { heartbeat, sleep } from '@temporalio/activity';
import { quantityBytes } from '../../domain/quantity.ts';
import { classified } from '../failures.ts';

export function volumeActivities(kube: KubeConfig) {
  const api = new KubeApi(kube);
  return {
    /** The classes among `classes` whose volumes cannot grow (allowVolumeExpansion unset or false, or no such class). */
    async classesWithoutExpansion(input: { classes: string[] }): Promise<string[]> {
      const fixed: string[] = [];
      for (const name of input.classes) {
        const found = await classified(`reading StorageClass ${name}`, () =>
          api
            .get<V1StorageClass>(resourcePath('storage.k8s.io/v1', 'storageclasses', undefined, name))
            .catch(absentWhenNotFound),
        );
        if (found?.allowVolumeExpansion !== true) fixed.push(name);
      }
      return fixed;
    },

    /** Waits until every claim reports at least its size and no resize is pending; heartbeats the count done. */
    async waitForClaimsResized(input: {
      namespace: string;
      claims: { name: string; size: string }[];
    }): Promise<void> {
      for (;;) {
        const done: string[] = [];
        for (const { name, size } of input.claims) {
          const wanted = quantityBytes(size);
          const claim = await api.get<V1PersistentVolumeClaim>(
            resourcePath('v1', 'persistentvolumeclaims', input.namespace, name),
          );
          const capacity = claim.status?.capacity?.storage;
          const pending = (claim.status?.conditions ?? []).some(
            (c) => (c.type === 'Resizing' || c.type === 'FileSystemResizePending') && c.status === 'True',
          );
          if (capacity !== undefined && quantityBytes(capacity) >= wanted && !pending) done.push(name);
        }
        heartbeat({ resized: done.length, of: input.claims.length });
        if (done.length === input.claims.length) return;
        await sleep(1_000);
      }
    },
  };
}
