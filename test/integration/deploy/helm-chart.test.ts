// The Helm chart (deploy/helm/keelson) with the helm the environment builds:
// lint, what it renders for the values a platform team sets, the values it
// refuses, and a `helm install` on the real API server after which the
// operator, started exactly as the installed Deployment describes it (command,
// arguments, environment, ServiceAccount token), brings a KafkaCluster to Ready.
import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  RbacAuthorizationV1Api,
  type KubernetesObject,
} from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { minimalSpec } from '../../fixtures/kafka-cluster-specs.ts';
import { adminKubeConfig, createNamespace, env, eventually } from '../../helpers/cluster.ts';
import { createKafkaCluster, readyAtGeneration } from '../../helpers/kafka-cluster.ts';
import {
  chartDir,
  helm,
  installChart,
  operatorLaunch,
  renderChart,
} from '../../../tools/testenv/src/chart.ts';
import { kubernetesVersion } from '../../../tools/testenv/src/build.ts';

type Container = {
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  volumeMounts?: { name: string; mountPath: string }[];
};
type Workload = KubernetesObject & {
  spec: { template: { spec: { containers: Container[]; serviceAccountName: string } } };
};

const byKind = (objects: KubernetesObject[], kind: string) => objects.filter((o) => o.kind === kind);
const envOf = (objects: KubernetesObject[]): Map<string, string | undefined> => {
  const deployment = byKind(objects, 'Deployment')[0] as Workload;
  return new Map((deployment.spec.template.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
};
const freePort = async (): Promise<number> => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
};

describe('the Helm chart', () => {
  it('passes helm lint', () => {
    const output = helm(['lint', chartDir, '--strict', `--kube-version=${kubernetesVersion}`]);
    assert.match(output, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('renders the CRDs, split RBAC, the Deployment, the metrics Service and the NetworkPolicy', () => {
    const objects = renderChart('keelson-system');
    assert.deepEqual(
      byKind(objects, 'CustomResourceDefinition')
        .map((o) => o.metadata?.name)
        .sort(),
      ['kafkaclusters.keelson.dev', 'kafkatopics.keelson.dev', 'kafkausers.keelson.dev'],
    );
    // Cluster-wide only the read-mostly watch role is bound; the manage role is bound per namespace.
    assert.deepEqual(
      byKind(objects, 'ClusterRoleBinding').map((o) => o.metadata?.name),
      ['keelson-operator-watch'],
    );
    const bindings = byKind(objects, 'RoleBinding').map(
      (o) => `${o.metadata?.namespace}/${o.metadata?.name}`,
    );
    assert.deepEqual(bindings.sort(), ['kafka/keelson-operator-manage', 'keelson-system/keelson-operator']);
    for (const kind of ['ServiceAccount', 'Deployment', 'Service', 'NetworkPolicy', 'Role'])
      assert.equal(byKind(objects, kind)[0]?.metadata?.namespace, 'keelson-system', kind);
    const values = envOf(objects);
    assert.equal(values.get('KEELSON_NAMESPACES'), 'kafka');
    assert.equal(values.get('KEELSON_TEMPORAL_ADDRESS'), 'temporal-frontend.temporal.svc:7233');
    assert.equal(values.get('KEELSON_HEALTH_ADDRESS'), ':8080');
    const deployment = byKind(objects, 'Deployment')[0] as Workload;
    assert.deepEqual(deployment.spec.template.spec.containers[0]?.command, [
      'node',
      '--max-semi-space-size=2',
      'src/main.ts',
    ]);
    // The Prometheus Operator's kinds only when asked for (their CRDs may not exist).
    assert.equal(byKind(objects, 'ServiceMonitor').length + byKind(objects, 'PodMonitor').length, 0);
  });

  it('binds each managed namespace, or the whole cluster, and watches accordingly', () => {
    const two = renderChart('ops', { managedNamespaces: ['payments', 'orders'] });
    assert.deepEqual(
      byKind(two, 'RoleBinding')
        .filter((o) => o.metadata?.name === 'keelson-operator-manage')
        .map((o) => o.metadata?.namespace),
      ['payments', 'orders'],
    );
    assert.equal(envOf(two).get('KEELSON_NAMESPACES'), 'payments,orders');
    const wide = renderChart('ops', { clusterWide: true });
    assert.ok(byKind(wide, 'ClusterRoleBinding').some((o) => o.metadata?.name === 'keelson-operator-manage'));
    assert.ok(!byKind(wide, 'RoleBinding').some((o) => o.metadata?.name === 'keelson-operator-manage'));
    assert.equal(envOf(wide).has('KEELSON_NAMESPACES'), false);
  });

  it('takes Temporal mTLS files and an API key from Secrets, never as values', () => {
    const objects = renderChart('ops', {
      'temporal.tls.secretName': 'temporal-client',
      'temporal.apiKey.secretName': 'temporal-cloud',
    });
    const container = (byKind(objects, 'Deployment')[0] as Workload).spec.template.spec.containers[0];
    assert.ok(
      container?.volumeMounts?.some(
        (m) => m.name === 'temporal-tls' && m.mountPath === '/etc/keelson/temporal-tls',
      ),
    );
    const values = envOf(objects);
    assert.equal(values.get('KEELSON_TEMPORAL_TLS_CERT'), '/etc/keelson/temporal-tls/tls.crt');
    const apiKey = container?.env?.find((e) => e.name === 'KEELSON_TEMPORAL_API_KEY');
    assert.deepEqual(apiKey?.valueFrom?.secretKeyRef, { name: 'temporal-cloud', key: 'api-key' });
  });

  it('renders ServiceMonitor and PodMonitor when asked', () => {
    const objects = renderChart('ops', {
      'metrics.serviceMonitor.enabled': true,
      'metrics.podMonitor.enabled': true,
    });
    assert.equal(byKind(objects, 'ServiceMonitor').length, 1);
    assert.equal(byKind(objects, 'PodMonitor').length, 1);
  });

  for (const [what, values, message] of [
    ['a misspelled key', { replica: 3 }, /additional properties 'replica' not allowed/],
    ['negative replicas', { replicas: -1 }, /replicas/],
    ['a Temporal address with a space', { 'temporal.address': 'a b:7233' }, /temporal.address|address/],
    ['a managed namespace of ..', { managedNamespaces: ['..'] }, /managedNamespaces/],
    ['a newline in a label value', { 'temporal.taskQueue': 'a\nb' }, /taskQueue/],
  ] as const) {
    it(`refuses ${what}`, () => {
      assert.throws(() => renderChart('ops', values), message);
    });
  }

  describe('installed with helm install', () => {
    const admin = adminKubeConfig();
    const core = admin.makeApiClient(CoreV1Api);
    const custom = admin.makeApiClient(CustomObjectsApi);
    // Its own release namespace and names, so that it does not meet the RBAC other tests apply.
    const release = 'keelson-helm';
    const releaseNamespace = 'keelson-helm-test';
    let managed = '';
    let metricsPort = 0;
    let operator: ChildProcess | undefined;
    let output = '';

    before(async () => {
      managed = await createNamespace(core, 'helm');
      metricsPort = await freePort();
      installChart(env.kubeconfig, release, releaseNamespace, {
        fullnameOverride: release,
        'temporal.address': env.temporal.address,
        'temporal.namespace': env.temporal.namespace,
        'temporal.taskQueue': 'keelson-helm',
        managedNamespaces: [managed],
        'metrics.port': metricsPort,
      });
    });

    after(async () => {
      if (operator?.exitCode === null) {
        const exited = once(operator, 'exit');
        operator.kill('SIGTERM');
        await exited;
      }
      helm(['uninstall', release, '--kubeconfig', env.kubeconfig, '--namespace', releaseNamespace]);
      await core.deleteNamespace({ name: managed });
      await core.deleteNamespace({ name: releaseNamespace });
    });

    it('installs objects the API server accepts, and the Deployment waits for a real node', async () => {
      const deployment = await admin
        .makeApiClient(AppsV1Api)
        .readNamespacedDeployment({ name: release, namespace: releaseNamespace });
      assert.equal(deployment.spec?.replicas, 2);
      const binding = await admin
        .makeApiClient(RbacAuthorizationV1Api)
        .readNamespacedRoleBinding({ name: `${release}-manage`, namespace: managed });
      assert.equal(binding.roleRef.name, `${release}-manage`);
      // The local node agent runs brokers only: the operator's pods say so and stay Pending.
      await eventually('the Deployment pods to be refused by the node agent', async () => {
        const pods = await core.listNamespacedPod({ namespace: releaseNamespace });
        return (
          (pods.items.length === 2 &&
            pods.items.every((p) =>
              p.status?.conditions?.some(
                (c) => c.type === 'PodScheduled' && /runs only Kafka broker pods/.test(c.message ?? ''),
              ),
            )) ||
          undefined
        );
      });
    });

    it('runs the operator as the Deployment describes it, which brings a KafkaCluster to Ready', async () => {
      const launch = await operatorLaunch(admin, releaseNamespace, release, env.apiServerUrl);
      assert.equal(launch.env.KEELSON_NAMESPACES, managed);
      assert.equal(launch.env.POD_NAMESPACE, releaseNamespace);
      operator = spawn(launch.command, launch.args, {
        cwd: launch.cwd,
        env: { PATH: process.env.PATH, NODE_ENV: 'production', ...launch.env },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      operator.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      const readyz = async () => {
        const response = await fetch(`http://127.0.0.1:${metricsPort}/readyz`).catch(() => undefined);
        return response ? { status: response.status, text: await response.text() } : undefined;
      };
      try {
        await eventually(
          'the operator to be ready',
          async () => (await readyz())?.status === 200 || undefined,
          60_000,
        );
        await createKafkaCluster(custom, managed, 'orders', {
          ...minimalSpec,
          metrics: { jmxExporter: { enabled: true } },
        });
        await readyAtGeneration(custom, managed, 'orders', 1);
        // The brokers' own metrics, as the chart's PodMonitor scrapes them: port `metrics` of each pod.
        const brokers = (
          await core.listNamespacedPod({ namespace: managed, labelSelector: 'keelson.dev/cluster=orders' })
        ).items;
        assert.equal(brokers.length, 3);
        for (const pod of brokers) {
          const port = pod.spec?.containers[0]?.ports?.find((p) => p.name === 'metrics')?.containerPort;
          const text = await (await fetch(`http://${pod.status?.podIP}:${port}/metrics`)).text();
          assert.match(text, /^kafka_server_replicamanager_underreplicatedpartitions 0/m, pod.metadata?.name);
        }
        const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        assert.match(metrics, /^keelson_leader 1$/m, 'the operator leads with the chart’s Lease');
        // Per cluster, from its status; and the Temporal SDK's own metrics in the same registry.
        const at = `namespace="${managed}",cluster="orders"`;
        assert.match(metrics, new RegExp(`^keelson_cluster_ready\\{${at}\\} 1$`, 'm'));
        assert.match(metrics, new RegExp(`^keelson_cluster_brokers_ready\\{${at}\\} 3$`, 'm'));
        assert.match(metrics, new RegExp(`^keelson_cluster_brokers_desired\\{${at}\\} 3$`, 'm'));
        assert.match(
          metrics,
          new RegExp(`^keelson_cluster_last_operation_succeeded\\{${at},type="[a-z-]+"\\} 1$`, 'm'),
        );
        assert.match(metrics, /^temporal_workflow_task_execution_latency_bucket\{/m);
        assert.match(metrics, /^temporal_activity_execution_latency_count\{/m);
        // The SDK's and the workflows' log lines are pino JSON with the cluster, workflow id and run id.
        const started = output
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as Record<string, unknown>)
          .find((line) => typeof line.msg === 'string' && line.msg.startsWith('operation started'));
        assert.ok(started, 'the workflow logged the operation it started');
        assert.equal(started.cluster, 'orders');
        assert.equal(started.namespace, managed);
        assert.equal(started.workflowId, `kafkacluster/${managed}/orders`);
        assert.match(String(started.runId), /^[0-9a-f-]{36}$/);
        const lease = await admin
          .makeApiClient(CoordinationV1Api)
          .readNamespacedLease({ name: release, namespace: releaseNamespace });
        assert.match(lease.spec?.holderIdentity ?? '', new RegExp(`^${release}-local-`));
      } catch (err) {
        console.log(`--- operator output:\n${output.split('\n').slice(-60).join('\n')}`);
        throw err;
      }
    });
  });
});
