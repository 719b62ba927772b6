// The shipped ServiceAccount and RBAC from deploy/, applied to the test
// environment with the managed-namespace binding pointed at the test's own
// namespace, and a kubeconfig that authenticates as that ServiceAccount.
import { CoreV1Api, KubeConfig, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { env } from './cluster.ts';

const deployDir = join(import.meta.dirname, '../../deploy');
export const rbacFiles = [
  '000-namespace.yaml',
  'rbac/010-serviceaccount.yaml',
  'rbac/020-clusterrole-watch.yaml',
  'rbac/030-clusterrole-manage.yaml',
  'rbac/040-operator-namespace.yaml',
  'rbac/050-rolebinding-managed-namespace.yaml',
];

export async function applyShippedRbac(admin: KubeConfig, managedNamespace: string): Promise<void> {
  const objects = admin.makeApiClient(KubernetesObjectApi);
  for (const file of rbacFiles) {
    for (const doc of parseAllDocuments(readFileSync(join(deployDir, file), 'utf8'))) {
      const object = doc.toJS() as KubernetesObject;
      // The shipped binding names the example namespace "kafka"; bind the test's instead.
      if (file.includes('managed-namespace') && object.metadata) object.metadata.namespace = managedNamespace;
      await objects.create(object).catch((err: { code?: number }) => {
        if (err.code !== 409) throw err;
      });
    }
  }
}

/** A kubeconfig (object and file) for the keelson-operator ServiceAccount, with a fresh token. */
export async function operatorKubeConfig(
  admin: KubeConfig,
): Promise<{ kubeconfig: KubeConfig; file: string }> {
  const token = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name: 'keelson-operator',
    namespace: 'keelson-system',
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const kubeconfig = new KubeConfig();
  kubeconfig.loadFromOptions({
    clusters: [{ name: 'testenv', server: env.apiServerUrl, caFile: admin.getCurrentCluster()?.caFile }],
    users: [{ name: 'operator', token: token.status?.token }],
    contexts: [{ name: 'operator', cluster: 'testenv', user: 'operator' }],
    currentContext: 'operator',
  });
  const file = join(mkdtempSync(join(tmpdir(), 'keelson-sa-')), 'kubeconfig');
  writeFileSync(file, kubeconfig.exportConfig(), { mode: 0o600 });
  return { kubeconfig, file };
}
