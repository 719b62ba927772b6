// The shipped ServiceAccount and RBAC from the Helm chart, applied to the test
// environment with the managed-namespace binding pointed at the test's own
// namespace, and a kubeconfig that authenticates as that ServiceAccount.
import { CoreV1Api, KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderChart } from '../../tools/testenv/src/chart.ts';
import { env } from './cluster.ts';

/** Where the chart is installed in the tests, as the README says. */
export const operatorNamespace = 'keelson-system';

const rbacKinds = new Set(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);

/** The chart's ServiceAccount and RBAC, as `helm template` renders them for a managed namespace. */
export async function applyShippedRbac(admin: KubeConfig, managedNamespace: string): Promise<void> {
  const objects = admin.makeApiClient(KubernetesObjectApi);
  await admin
    .makeApiClient(CoreV1Api)
    .createNamespace({ body: { metadata: { name: operatorNamespace } } })
    .catch((err: { code?: number }) => {
      if (err.code !== 409) throw err;
    });
  for (const object of renderChart(operatorNamespace, { managedNamespaces: [managedNamespace] })) {
    if (!rbacKinds.has(object.kind ?? '')) continue;
    await objects.create(object).catch((err: { code?: number }) => {
      if (err.code !== 409) throw err;
    });
  }
}

/** A kubeconfig (object and file) for the keelson-operator ServiceAccount, with a fresh token. */
export async function operatorKubeConfig(
  admin: KubeConfig,
): Promise<{ kubeconfig: KubeConfig; file: string }> {
  const token = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name: 'keelson-operator',
    namespace: operatorNamespace,
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
