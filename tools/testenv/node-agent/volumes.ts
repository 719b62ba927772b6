// Host directories behind a pod's volumes. PersistentVolumeClaims resolve to
// the hostPath of the PersistentVolume the agent provisioned for them, so the
// data outlives the pod; ConfigMap and Secret volumes are written out at each
// container start; emptyDir lives as long as the pod.
import type { CoreV1Api, V1Pod, V1Volume } from '@kubernetes/client-node';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PodConfigError } from './pod-env.ts';

async function readOrUndefined<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

export async function configMapData(core: CoreV1Api, namespace: string, name: string) {
  const cm = await readOrUndefined(() => core.readNamespacedConfigMap({ name, namespace }));
  return cm && { ...cm.data };
}

export async function secretData(core: CoreV1Api, namespace: string, name: string) {
  const secret = await readOrUndefined(() => core.readNamespacedSecret({ name, namespace }));
  if (secret === undefined) return undefined;
  const decoded: Record<string, string> = { ...secret.stringData };
  for (const [key, value] of Object.entries(secret.data ?? {}))
    decoded[key] = Buffer.from(value, 'base64').toString('utf8');
  return decoded;
}

function writeKeys(
  dir: string,
  data: Record<string, string>,
  items: { key: string; path: string }[] | undefined,
): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const entries = items ?? Object.keys(data).map((key) => ({ key, path: key }));
  for (const { key, path } of entries) {
    const value = data[key];
    if (value === undefined) throw new PodConfigError(`key "${key}" not found for volume item ${path}`);
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), value);
  }
}

/**
 * A projected volume, such as the kube-api-access-* volume the ServiceAccount
 * admission adds to every pod: a real token from the TokenRequest API bound to
 * the pod, the cluster CA from kube-root-ca.crt, and downward API fields.
 */
async function projectedData(core: CoreV1Api, pod: V1Pod, volume: V1Volume): Promise<Record<string, string>> {
  const namespace = pod.metadata?.namespace ?? 'default';
  const files: Record<string, string> = {};
  for (const source of volume.projected?.sources ?? []) {
    if (source.serviceAccountToken) {
      const request = await core.createNamespacedServiceAccountToken({
        name: pod.spec?.serviceAccountName ?? 'default',
        namespace,
        body: {
          spec: {
            audiences: source.serviceAccountToken.audience ? [source.serviceAccountToken.audience] : [],
            expirationSeconds: source.serviceAccountToken.expirationSeconds ?? 3607,
            boundObjectRef: {
              apiVersion: 'v1',
              kind: 'Pod',
              name: pod.metadata?.name,
              uid: pod.metadata?.uid,
            },
          },
        },
      });
      files[source.serviceAccountToken.path] = request.status?.token ?? '';
    } else if (source.configMap || source.secret) {
      const ref = source.configMap ?? source.secret;
      const name = ref?.name ?? '';
      const data = source.configMap
        ? await configMapData(core, namespace, name)
        : await secretData(core, namespace, name);
      if (data === undefined) {
        if (ref?.optional) continue;
        throw new PodConfigError(`${source.configMap ? 'ConfigMap' : 'Secret'} "${name}" not found`);
      }
      for (const { key, path } of ref?.items ?? Object.keys(data).map((key) => ({ key, path: key }))) {
        const value = data[key];
        if (value !== undefined) files[path] = value;
      }
    } else if (source.downwardAPI) {
      for (const item of source.downwardAPI.items ?? []) {
        const field = item.fieldRef?.fieldPath;
        if (field === 'metadata.namespace') files[item.path] = namespace;
        else if (field === 'metadata.name') files[item.path] = pod.metadata?.name ?? '';
        else if (field === 'metadata.uid') files[item.path] = pod.metadata?.uid ?? '';
        else throw new PodConfigError(`projected downwardAPI field ${field ?? item.path} is not supported`);
      }
    } else {
      throw new PodConfigError(`volume "${volume.name}": unsupported projected source`);
    }
  }
  return files;
}

/** Materialises one volume and returns its host directory. */
/**
 * The images an image volume may name here: the reference's last path part
 * and tag (any registry) to the directory holding that image's files.
 */
export type ImageVolumes = (reference: string) => string | undefined;

export async function volumeHostDir(
  core: CoreV1Api,
  pod: V1Pod,
  volume: V1Volume,
  podDir: string,
  images: ImageVolumes = () => undefined,
): Promise<string> {
  const namespace = pod.metadata?.namespace ?? 'default';
  const dir = join(podDir, 'volumes', volume.name);
  if (volume.image) {
    const reference = volume.image.reference ?? '';
    const hostDir = images(reference);
    if (hostDir === undefined)
      throw new PodConfigError(
        `image volume "${volume.name}": the test environment does not have ${reference}`,
      );
    return hostDir;
  }
  if (volume.configMap) {
    const data = await configMapData(core, namespace, volume.configMap.name ?? '');
    if (data === undefined && !volume.configMap.optional) {
      throw new PodConfigError(`ConfigMap "${volume.configMap.name}" not found`);
    }
    writeKeys(dir, data ?? {}, volume.configMap.items);
    return dir;
  }
  if (volume.secret) {
    const data = await secretData(core, namespace, volume.secret.secretName ?? '');
    if (data === undefined && !volume.secret.optional)
      throw new PodConfigError(`Secret "${volume.secret.secretName}" not found`);
    writeKeys(dir, data ?? {}, volume.secret.items);
    return dir;
  }
  if (volume.projected) {
    writeKeys(dir, await projectedData(core, pod, volume), undefined);
    return dir;
  }
  if (volume.emptyDir) {
    mkdirSync(dir, { recursive: true });
    return dir;
  }
  if (volume.persistentVolumeClaim) {
    const claimName = volume.persistentVolumeClaim.claimName;
    const pvc = await readOrUndefined(() =>
      core.readNamespacedPersistentVolumeClaim({ name: claimName, namespace }),
    );
    if (pvc?.status?.phase !== 'Bound' || !pvc.spec?.volumeName) {
      throw new PodConfigError(`PersistentVolumeClaim "${claimName}" is not bound`);
    }
    const pv = await core.readPersistentVolume({ name: pvc.spec.volumeName });
    const path = pv.spec?.hostPath?.path ?? pv.spec?.local?.path;
    if (path === undefined)
      throw new PodConfigError(`PersistentVolume "${pvc.spec.volumeName}" has no host path`);
    mkdirSync(path, { recursive: true });
    return path;
  }
  throw new PodConfigError(
    `volume "${volume.name}": only configMap, secret, projected, emptyDir, image and persistentVolumeClaim are supported`,
  );
}
