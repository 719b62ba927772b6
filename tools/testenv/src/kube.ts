// The Kubernetes control plane of the test environment: embedded etcd, a real
// kube-apiserver (RBAC, ServiceAccount tokens, CRDs, watch cache with
// bookmarks) and a kube-controller-manager running only the controllers the
// operator relies on (garbage collection of owned objects, namespaces,
// ServiceAccounts, PVC binding and protection, Deployments and their
// ReplicaSets for the Helm chart's operator). There is no scheduler or
// kubelet: the node agent plays both.
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { kubeBin } from './build.ts';
import { kubeconfigPath, stateDir } from './paths.ts';
import { pki } from './pki.ts';
import { loopback, ports } from './ports.ts';
import { startDaemon, stopDaemon, waitFor } from './processes.ts';

export const apiServerUrl = `https://${loopback}:${ports.apiServer}`;

export const kubeControllers = [
  'garbage-collector-controller',
  'namespace-controller',
  'serviceaccount-controller',
  'persistentvolume-binder-controller',
  'persistentvolumeclaim-protection-controller',
  'persistentvolume-protection-controller',
  'root-ca-certificate-publisher-controller',
  // The chart's Deployment gets its pods as on a real cluster (the node agent leaves them Pending).
  'deployment-controller',
  'replicaset-controller',
];

/** GETs a path of the API server as the admin; resolves with status and body. */
export function apiGet(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${apiServerUrl}${path}`,
      {
        ca: readFileSync(pki.caCert),
        cert: readFileSync(pki.adminCert),
        key: readFileSync(pki.adminKey),
        timeout: 5_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

function writeKubeconfig(): void {
  writeFileSync(
    kubeconfigPath,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: keelson-testenv',
      '  cluster:',
      `    server: ${apiServerUrl}`,
      `    certificate-authority: ${pki.caCert}`,
      'users:',
      '- name: keelson-testenv-admin',
      '  user:',
      `    client-certificate: ${pki.adminCert}`,
      `    client-key: ${pki.adminKey}`,
      'contexts:',
      '- name: keelson-testenv',
      '  context:',
      '    cluster: keelson-testenv',
      '    user: keelson-testenv-admin',
      'current-context: keelson-testenv',
      '',
    ].join('\n'),
  );
}

/** Starts kube-apiserver and waits until it is ready. */
async function startApiServer(): Promise<void> {
  startDaemon({
    name: 'kube-apiserver',
    command: kubeBin,
    args: [
      'kube-apiserver',
      `--etcd-servers=http://${loopback}:${ports.etcdClient}`,
      `--bind-address=${loopback}`,
      `--advertise-address=${loopback}`,
      `--secure-port=${ports.apiServer}`,
      `--cert-dir=${join(stateDir, 'apiserver-certs')}`,
      `--tls-cert-file=${pki.serverCert}`,
      `--tls-private-key-file=${pki.serverKey}`,
      `--client-ca-file=${pki.caCert}`,
      '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      // The loopback address cannot be published as the `kubernetes` Service endpoint.
      '--endpoint-reconciler-type=none',
      '--profiling=false',
      '--v=1',
    ],
  });
  await waitFor('kube-apiserver /readyz', async () => (await apiGet('/readyz')).status === 200, {
    timeoutMs: 120_000,
    daemon: 'kube-apiserver',
  });
}

/** Stops kube-apiserver and starts it again (etcd keeps the data): for tests of clients that must survive it. */
export async function restartApiServer(): Promise<void> {
  await stopDaemon('kube-apiserver');
  await startApiServer();
}

export async function startKubernetes(): Promise<void> {
  writeKubeconfig();
  startDaemon({
    name: 'etcd',
    command: kubeBin,
    args: [
      'etcd',
      `--data-dir=${join(stateDir, 'etcd')}`,
      `--listen-client=http://${loopback}:${ports.etcdClient}`,
      `--listen-peer=http://${loopback}:${ports.etcdPeer}`,
    ],
  });
  await startApiServer();
  startDaemon({
    name: 'kube-controller-manager',
    command: kubeBin,
    args: [
      'kube-controller-manager',
      `--kubeconfig=${kubeconfigPath}`,
      `--controllers=${kubeControllers.join(',')}`,
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      `--root-ca-file=${pki.caCert}`,
      '--use-service-account-credentials=false',
      '--leader-elect=false',
      '--secure-port=0',
      '--v=1',
    ],
  });
  // Pods need their namespace's `default` ServiceAccount, which the controller manager creates.
  await waitFor(
    'the default ServiceAccount',
    async () => (await apiGet('/api/v1/namespaces/default/serviceaccounts/default')).status === 200,
    { timeoutMs: 60_000, daemon: 'kube-controller-manager' },
  );
}
