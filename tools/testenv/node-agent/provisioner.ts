// Dynamic provisioning for the agent's StorageClasses: a PersistentVolume backed
// by a host directory, pre-bound to the claim (the controller manager's binder
// completes the binding), and deleted with its directory once released. A
// claim asking for more than its volume holds is grown in two steps, as a CSI
// resizer and the kubelet do: the volume first (the claim reports
// FileSystemResizePending), the file system at the next pass (the claim's
// status.capacity grows and the condition goes).
import {
  PatchStrategy,
  setHeaderOptions,
  type CoreV1Api,
  type V1PersistentVolume,
  type V1PersistentVolumeClaim,
} from '@kubernetes/client-node';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { agentStorageClasses, provisionerName } from './nodes.ts';

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
    const spec = claim.spec;
    if (
      uid === undefined ||
      spec === undefined ||
      !agentStorageClasses.includes(spec.storageClassName ?? '') ||
      spec.volumeName ||
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
          storageClassName: spec.storageClassName,
          capacity: { storage: spec.resources?.requests?.storage ?? '1Gi' },
          accessModes: spec.accessModes ?? ['ReadWriteOnce'],
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

const fileSystemResizePending = 'FileSystemResizePending';

export async function resizeVolumes(
  core: CoreV1Api,
  claims: readonly V1PersistentVolumeClaim[],
  volumes: readonly V1PersistentVolume[],
): Promise<void> {
  const byName = new Map(volumes.map((pv) => [pv.metadata?.name, pv]));
  for (const claim of claims) {
    const volume = byName.get(claim.spec?.volumeName);
    const wanted = claim.spec?.resources?.requests?.storage;
    const name = claim.metadata?.name ?? '';
    const namespace = claim.metadata?.namespace ?? '';
    if (
      volume?.metadata?.annotations?.[provisionedBy] !== provisionerName ||
      wanted === undefined ||
      claim.status?.phase !== 'Bound'
    ) {
      continue;
    }
    const pending = claim.status.conditions?.some((c) => c.type === fileSystemResizePending);
    if (volume.spec?.capacity?.storage !== wanted) {
      await core.patchPersistentVolume(
        { name: volume.metadata?.name ?? '', body: { spec: { capacity: { storage: wanted } } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await core.patchNamespacedPersistentVolumeClaimStatus(
        {
          name,
          namespace,
          body: {
            status: {
              conditions: [{ type: fileSystemResizePending, status: 'True', lastTransitionTime: new Date() }],
            },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    } else if (pending || claim.status.capacity?.storage !== wanted) {
      await core.patchNamespacedPersistentVolumeClaimStatus(
        { name, namespace, body: { status: { capacity: { storage: wanted }, conditions: [] } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    }
  }
}
