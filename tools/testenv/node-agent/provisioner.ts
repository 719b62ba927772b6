// Dynamic provisioning for the agent's StorageClass: a PersistentVolume backed
// by a host directory, pre-bound to the claim (the controller manager's binder
// completes the binding), and deleted with its directory once released.
import type { CoreV1Api, V1PersistentVolume, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { provisionerName, storageClassName } from './nodes.ts';

const provisionedBy = 'pv.kubernetes.io/provisioned-by';

export async function provisionVolumes(
  core: CoreV1Api,
  claims: readonly V1PersistentVolumeClaim[],
  volumes: readonly V1PersistentVolume[],
  volumesDir: string,
): Promise<void> {
  const existing = new Set(volumes.map((pv) => pv.metadata?.name));
  for (const claim of claims) {
    const uid = claim.metadata?.uid;
    if (
      uid === undefined ||
      claim.spec?.storageClassName !== storageClassName ||
      claim.spec.volumeName ||
      claim.metadata?.deletionTimestamp ||
      existing.has(`pvc-${uid}`)
    ) {
      continue;
    }
    const path = join(volumesDir, `pvc-${uid}`);
    mkdirSync(path, { recursive: true });
    await core.createPersistentVolume({
      body: {
        metadata: { name: `pvc-${uid}`, annotations: { [provisionedBy]: provisionerName } },
        spec: {
          storageClassName,
          capacity: { storage: claim.spec.resources?.requests?.storage ?? '1Gi' },
          accessModes: claim.spec.accessModes ?? ['ReadWriteOnce'],
          persistentVolumeReclaimPolicy: 'Delete',
          hostPath: { path, type: 'Directory' },
          claimRef: {
            apiVersion: 'v1',
            kind: 'PersistentVolumeClaim',
            namespace: claim.metadata?.namespace,
            name: claim.metadata?.name,
            uid,
          },
        },
      },
    });
  }
}

export async function reclaimVolumes(core: CoreV1Api, volumes: readonly V1PersistentVolume[]): Promise<void> {
  for (const pv of volumes) {
    if (pv.metadata?.annotations?.[provisionedBy] !== provisionerName || pv.status?.phase !== 'Released')
      continue;
    const path = pv.spec?.hostPath?.path;
    if (path) rmSync(path, { recursive: true, force: true });
    try {
      await core.deletePersistentVolume({ name: pv.metadata?.name ?? '' });
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
    }
  }
}
