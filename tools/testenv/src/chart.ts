// Keelson's Helm chart (deploy/helm/keelson) in the local environment: helm
// built by build.ts, and the operator started as the chart's Deployment
// describes it, since the node agent runs only broker pods.
import { AppsV1Api, CoreV1Api, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { resolveEnv } from '../node-agent/pod-env.ts';
import { helmBin, kubernetesVersion } from './build.ts';
import { repoRoot } from './paths.ts';

export const chartDir = join(repoRoot, 'deploy/helm/keelson');

/** Values given as --set-json, so lists and booleans keep their types. */
export type ChartValues = Record<string, unknown>;

const setJson = (values: ChartValues): string[] =>
  Object.entries(values).flatMap(([key, value]) => ['--set-json', `${key}=${JSON.stringify(value)}`]);

/** Runs helm; throws with helm's own message when it fails. */
export function helm(args: string[]): string {
  const result = spawnSync(helmBin, args, {
    encoding: 'utf8',
    env: { ...process.env, HELM_CACHE_HOME: tmpdir() },
  });
  if (result.status !== 0) throw new Error(`helm ${args[0]}: ${(result.stderr || result.stdout).trim()}`);
  return result.stdout;
}

/** The chart's objects as `helm template` renders them (CRDs included). */
export function renderChart(namespace: string, values: ChartValues = {}): KubernetesObject[] {
  const rendered = helm([
    'template',
    'keelson',
    chartDir,
    '--namespace',
    namespace,
    '--include-crds',
    // Without a cluster helm assumes an old Kubernetes, which the chart's kubeVersion refuses.
    `--kube-version=${kubernetesVersion}`,
    ...setJson(values),
  ]);
  return parseAllDocuments(rendered)
    .map((doc) => doc.toJS() as KubernetesObject | null)
    .filter((object): object is KubernetesObject => object !== null);
}

/** `helm upgrade --install` into the environment. */
export function installChart(
  kubeconfig: string,
  release: string,
  namespace: string,
  values: ChartValues,
): string {
  return helm([
    'upgrade',
    '--install',
    release,
    chartDir,
    '--kubeconfig',
    kubeconfig,
    '--namespace',
    namespace,
    '--create-namespace',
    ...setJson(values),
  ]);
}

export interface OperatorLaunch {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** A kubeconfig holding the Deployment's ServiceAccount token, standing in for the mounted one. */
  kubeconfig: string;
}

/**
 * The process the Deployment's pod would run: its command and arguments
 * (`node` is this machine's pinned Node.js, the image's WORKDIR the
 * repository), its environment resolved as the kubelet does, and a fresh
 * token of its ServiceAccount. Volumes other than emptyDirs are refused: a
 * test that needs one must say how to stand in for it.
 */
export async function operatorLaunch(
  admin: KubeConfig,
  namespace: string,
  deploymentName: string,
  apiServerUrl: string,
): Promise<OperatorLaunch> {
  const deployment = await admin
    .makeApiClient(AppsV1Api)
    .readNamespacedDeployment({ name: deploymentName, namespace });
  const podSpec = deployment.spec?.template.spec;
  const container = podSpec?.containers[0];
  if (!podSpec || !container?.command)
    throw new Error(`deployment ${namespace}/${deploymentName} names no command`);
  for (const volume of podSpec.volumes ?? []) {
    if (!volume.emptyDir) throw new Error(`volume ${volume.name} cannot be stood in for locally`);
  }
  const core = admin.makeApiClient(CoreV1Api);
  const secrets = new Map<string, Record<string, string>>();
  for (const name of new Set((container.env ?? []).flatMap((e) => e.valueFrom?.secretKeyRef?.name ?? []))) {
    const secret = await core.readNamespacedSecret({ name, namespace });
    secrets.set(
      name,
      Object.fromEntries(
        Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
      ),
    );
  }
  const pod = {
    metadata: {
      name: `${deploymentName}-local`,
      namespace,
      labels: deployment.spec?.template.metadata?.labels,
    },
    spec: podSpec,
  };
  const env = resolveEnv(
    pod,
    container,
    { podIP: '127.0.0.1', hostIP: '127.0.0.1', nodeName: 'local' },
    {
      configMaps: new Map(),
      secrets,
    },
  );

  const serviceAccount = podSpec.serviceAccountName ?? 'default';
  const token = await core.createNamespacedServiceAccountToken({
    name: serviceAccount,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const kubeconfig = join(mkdtempSync(join(tmpdir(), 'keelson-pod-')), 'kubeconfig');
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'in-cluster',
          cluster: { server: apiServerUrl, 'certificate-authority': admin.getCurrentCluster()?.caFile },
        },
      ],
      users: [{ name: serviceAccount, user: { token: token.status?.token } }],
      contexts: [{ name: 'pod', context: { cluster: 'in-cluster', user: serviceAccount } }],
      'current-context': 'pod',
    }),
    { mode: 0o600 },
  );
  const [node, ...nodeArgs] = container.command;
  if (node !== 'node') throw new Error(`the Deployment's command starts with ${node}, not node`);
  return {
    command: process.execPath,
    args: [...nodeArgs, ...(container.args ?? [])],
    env: { ...Object.fromEntries(env), KUBECONFIG: kubeconfig },
    cwd: repoRoot,
    kubeconfig,
  };
}
