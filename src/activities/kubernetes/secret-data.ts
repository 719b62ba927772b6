// A Secret's data as text, and text as a Secret's data (base64), for the
// activities that keep keys, certificates and passwords in Secrets.
import type { V1OwnerReference, V1Secret } from '@kubernetes/client-node';
import { absentWhenNotFound, resourcePath, type KubeApi } from '../../kubernetes/api.ts';

export const secretText = (secret: V1Secret | undefined, key: string): string | undefined => {
  const value = secret?.data?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
};

export const secretData = (files: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(files).map(([key, text]) => [key, Buffer.from(text).toString('base64')]));

/** Every key of a Secret as text: what a rewrite keeps. */
export const secretFiles = (secret: V1Secret | undefined): Record<string, string> =>
  Object.fromEntries(Object.keys(secret?.data ?? {}).map((key) => [key, secretText(secret, key) ?? '']));

/** The Secret, or undefined when there is none. */
export const readSecret = (api: KubeApi, namespace: string, name: string): Promise<V1Secret | undefined> =>
  api.get<V1Secret>(resourcePath('v1', 'secrets', namespace, name)).catch(absentWhenNotFound);

/**
 * Creates a Secret, or replaces the one read as `existing` (its
 * resourceVersion makes a concurrent change fail the write instead of being
 * lost): the given files, labels and owner; its annotations kept, with `annotations` over them.
 */
export async function writeSecret(
  api: KubeApi,
  secret: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    owner: V1OwnerReference;
    files: Record<string, string>;
    annotations?: Record<string, string>;
  },
  existing: V1Secret | undefined,
): Promise<void> {
  const { name, namespace } = secret;
  const body: V1Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name,
      namespace,
      labels: secret.labels,
      annotations: { ...existing?.metadata?.annotations, ...secret.annotations },
      ownerReferences: [secret.owner],
      ...(existing?.metadata?.resourceVersion ? { resourceVersion: existing.metadata.resourceVersion } : {}),
    },
    data: secretData(secret.files),
  };
  await (existing
    ? api.replace(resourcePath('v1', 'secrets', namespace, name), body)
    : api.create(resourcePath('v1', 'secrets', namespace), body));
}
