// `npm run demo` (tools/demo.ts) on the running environment: it installs the
// CRD and the shipped RBAC, runs the operator as the ServiceAccount, creates
// the sample cluster, and with --until-ready stops on its own once the
// cluster is Ready, leaving an environment it did not start running.
import { CustomObjectsApi, CoreV1Api } from '@kubernetes/client-node';
import { Client, Connection } from '@temporalio/client';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { group, plural, version } from '../../../src/crd/kafka-cluster.ts';
import { userPlural } from '../../../src/crd/kafka-user.ts';
import { clusterWorkflowId, topicsWorkflowId, usersWorkflowId } from '../../../src/workflows/messages.ts';
import { topicPlural } from '../../../src/crd/kafka-topic.ts';
import { adminKubeConfig, env, eventually } from '../../helpers/cluster.ts';

const demo = fileURLToPath(new URL('../../../tools/demo.ts', import.meta.url));
const testenvCli = fileURLToPath(new URL('../../../tools/testenv/cli.ts', import.meta.url));

describe('npm run demo', () => {
  const kubeconfig = adminKubeConfig();
  const custom = kubeconfig.makeApiClient(CustomObjectsApi);
  const core = kubeconfig.makeApiClient(CoreV1Api);

  after(async () => {
    // The demo's cluster keeps its brokers running; the rest of the suite does not need them.
    const connection = await Connection.connect({ address: env.temporal.address });
    await new Client({ connection, namespace: env.temporal.namespace }).workflow
      .getHandle(clusterWorkflowId('kafka', 'orders'))
      .terminate('demo test finished')
      .catch(() => undefined);
    for (const id of [usersWorkflowId('kafka', 'orders'), topicsWorkflowId('kafka', 'orders')])
      await new Client({ connection, namespace: env.temporal.namespace }).workflow
        .getHandle(id)
        .terminate('demo test finished')
        .catch(() => undefined);
    await connection.close();
    await custom
      .patchNamespacedCustomObject({
        group,
        version,
        plural,
        namespace: 'kafka',
        name: 'orders',
        body: [{ op: 'replace', path: '/metadata/finalizers', value: [] }],
      })
      .catch(() => undefined);
    // No operator runs any more to take the user's and the topic's finalizers off.
    for (const [resources, name] of [
      [userPlural, 'alice'],
      [topicPlural, 'orders'],
    ] as const)
      await custom
        .patchNamespacedCustomObject({
          group,
          version,
          plural: resources,
          namespace: 'kafka',
          name,
          body: [{ op: 'replace', path: '/metadata/finalizers', value: [] }],
        })
        .catch(() => undefined);
    // The brokers need not shut down cleanly: their data goes with the namespace.
    await core
      .deleteCollectionNamespacedPod({ namespace: 'kafka', gracePeriodSeconds: 0 })
      .catch(() => undefined);
    await core.deleteNamespace({ name: 'kafka' }).catch(() => undefined);
    await eventually(
      'namespace kafka to be gone',
      async () =>
        core
          .readNamespace({ name: 'kafka' })
          .then(() => undefined)
          .catch(() => true),
      180_000,
      1_000,
    );
  });

  it('runs the operator as its ServiceAccount and brings the sample cluster to Ready', async () => {
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [demo, '--until-ready'],
        { env: { ...process.env, KEELSON_HEALTH_ADDRESS: '127.0.0.1:0' }, timeout: 600_000 },
        (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
      );
    });
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /Temporal UI +http:\/\//);
    assert.match(run.stdout, /as ServiceAccount keelson-system\/keelson-operator/);
    assert.match(run.stdout, /kafka\/orders is Ready .*and so are its user alice .* and its topic orders/);
    assert.match(run.stdout, /Connect as the KafkaUser alice/);
    const object = (await custom.getNamespacedCustomObject({
      group,
      version,
      plural,
      namespace: 'kafka',
      name: 'orders',
    })) as { status?: { brokersReady?: string } };
    assert.equal(object.status?.brokersReady, '3/3');
    // Secured, as the sample asks: certificates issued, and the user's password in its Secret.
    const secret = await core.readNamespacedSecret({ name: 'alice', namespace: 'kafka' });
    assert.equal(Buffer.from(secret.data?.password ?? '', 'base64').length, 32);
    await core.readNamespacedSecret({ name: 'orders-cluster-ca', namespace: 'kafka' });
    assert.equal(
      spawnSync(process.execPath, [testenvCli, 'status'], { stdio: 'ignore' }).status,
      0,
      'the environment the demo did not start is still up',
    );
  });
});
