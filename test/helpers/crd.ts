// Installs the committed CRDs into the local API server (once per
// test file) and waits until it is served.
import {
  ApiextensionsV1Api,
  loadYaml,
  type KubeConfig,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crdFiles } from '../../src/cli/crd.ts';
import { eventually } from './cluster.ts';

/** Installs every committed CRD (KafkaCluster, KafkaUser). */
export async function installCrd(kubeconfig: KubeConfig): Promise<void> {
  for (const [file] of crdFiles()) await installCrdFile(kubeconfig, file);
}

async function installCrdFile(kubeconfig: KubeConfig, file: string): Promise<void> {
  const api = kubeconfig.makeApiClient(ApiextensionsV1Api);
  // loadYaml maps the YAML onto the client's typed model; a plain parse would
  // lose every x-kubernetes-* key when the typed API call serialises it.
  const crd = loadYaml<V1CustomResourceDefinition>(
    readFileSync(join(import.meta.dirname, '../..', file), 'utf8'),
  );
  const name = crd.metadata?.name ?? '';
  try {
    const existing = await api.readCustomResourceDefinition({ name });
    crd.metadata = { ...crd.metadata, resourceVersion: existing.metadata?.resourceVersion };
    await api.replaceCustomResourceDefinition({ name, body: crd });
  } catch (err) {
    if ((err as { code?: number }).code !== 404) throw err;
    await api.createCustomResourceDefinition({ body: crd });
  }
  await eventually(`CRD ${name} to be established`, async () => {
    const current = await api.readCustomResourceDefinition({ name });
    return (
      current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') || undefined
    );
  });
}

/** The message of a Kubernetes API error (the Status object's message). */
export function apiErrorMessage(err: unknown): string {
  const body = (err as { body?: unknown }).body;
  try {
    return (JSON.parse(String(body)) as { message?: string }).message ?? String(body);
  } catch {
    return String(body ?? err);
  }
}
