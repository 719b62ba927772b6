// What the operator says when it cannot do its job, against the real API
// server and Temporal: each problem names its fix, is logged, and /readyz
// lists it until it is gone.
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { kubernetesProblems } from '../../../src/operator/kubernetes-preflight.ts';
import { temporalNamespaceProblem } from '../../../src/operator/temporal-preflight.ts';
import { searchAttributes } from '../../../src/workflows/search-attributes.ts';
import { adminKubeConfig, createNamespace, env, eventually } from '../../helpers/cluster.ts';
import { installCrd } from '../../helpers/crd.ts';
import { keelsonProcess } from '../../helpers/worker-process.ts';

const quiet = pino({ level: 'silent' });

/** A kubeconfig for a ServiceAccount bound to nothing, or with a token the server never issued. */
async function kubeconfigAs(admin: KubeConfig, token: string): Promise<KubeConfig> {
  const kube = new KubeConfig();
  kube.loadFromOptions({
    clusters: [{ name: 'testenv', server: env.apiServerUrl, caFile: admin.getCurrentCluster()?.caFile }],
    users: [{ name: 'someone', token }],
    contexts: [{ name: 'someone', cluster: 'testenv', user: 'someone' }],
    currentContext: 'someone',
  });
  return kube;
}

describe('the operator’s start-up checks', () => {
  const admin = adminKubeConfig();
  const core = admin.makeApiClient(CoreV1Api);
  let namespace = '';
  let connection: Connection;

  before(async () => {
    await installCrd(admin);
    namespace = await createNamespace(core, 'preflight');
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'unbound' } } });
    connection = await Connection.connect({ address: env.temporal.address });
  });
  after(async () => {
    await connection.close();
    await core.deleteNamespace({ name: namespace });
  });

  it('finds nothing wrong for an identity that may do everything', async () => {
    const problems = await kubernetesProblems(admin, {
      watcher: true,
      worker: true,
      namespaces: [namespace],
      leaseNamespace: namespace,
    });
    assert.deepEqual([...problems.values()], []);
  });

  it('names each missing RBAC right and where to grant it', async () => {
    const token = await core.createNamespacedServiceAccountToken({
      name: 'unbound',
      namespace,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const problems = await kubernetesProblems(await kubeconfigAs(admin, token.status?.token ?? ''), {
      watcher: true,
      worker: true,
      namespaces: [namespace],
      leaseNamespace: 'keelson-system',
    });
    const inManaged = problems.get(`kubernetes-rbac-${namespace}`) ?? '';
    assert.match(
      inManaged,
      new RegExp(`missing RBAC in namespace "${namespace}": may not list kafkaclusters.keelson.dev`),
    );
    assert.match(inManaged, /create pods/);
    assert.match(inManaged, /managedNamespaces/);
    assert.match(
      problems.get('kubernetes-rbac-keelson-system') ?? '',
      /create leases.coordination.k8s.io.*--lease-namespace/,
    );
  });

  it('names a managed namespace that does not exist', async () => {
    const problems = await kubernetesProblems(admin, {
      watcher: true,
      worker: false,
      namespaces: ['no-such-namespace'],
      leaseNamespace: undefined,
    });
    assert.match(
      problems.get('kubernetes-namespace-no-such-namespace') ?? '',
      /"no-such-namespace" does not exist/,
    );
  });

  it('says when the API server refuses the credentials or cannot be reached', async () => {
    const refused = await kubernetesProblems(await kubeconfigAs(admin, 'not-a-token'), {
      watcher: true,
      worker: true,
      namespaces: [],
      leaseNamespace: undefined,
    });
    assert.match(refused.get('kubernetes') ?? '', /refused this process's credentials \(401\)/);
    const away = new KubeConfig();
    away.loadFromOptions({
      clusters: [{ name: 'away', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'away', cluster: 'away', user: 'u' }],
      currentContext: 'away',
    });
    const unreachable = await kubernetesProblems(away, {
      watcher: true,
      worker: true,
      namespaces: [],
      leaseNamespace: undefined,
    });
    assert.match(
      unreachable.get('kubernetes') ?? '',
      /cannot reach the Kubernetes API server at https:\/\/127\.0\.0\.1:1/,
    );
  });

  it('names a missing Temporal namespace, and the search attributes: registered when allowed, else the command', async () => {
    assert.match(
      (await temporalNamespaceProblem(connection, 'no-such-namespace', true, quiet)) ?? '',
      /"no-such-namespace" does not exist: create it \(temporal operator namespace create --namespace no-such-namespace\)/,
    );
    const fresh = `preflight-${Date.now().toString(36)}`;
    await connection.workflowService.registerNamespace({
      namespace: fresh,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    const names = Object.values(searchAttributes).map((a) => a.name);
    const problem = await eventually('the new namespace to be served', async () =>
      temporalNamespaceProblem(connection, fresh, false, quiet).then((p) =>
        p?.includes('does not exist') ? undefined : p,
      ),
    );
    assert.match(problem ?? '', new RegExp(`lacks the search attributes ${names.join(', ')}`));
    assert.match(
      problem ?? '',
      new RegExp(
        `run: temporal operator search-attribute create --namespace ${fresh} --name KeelsonCluster --type Keyword`,
      ),
    );

    assert.equal(await temporalNamespaceProblem(connection, fresh, true, quiet), undefined);
    const listed = await connection.operatorService.listSearchAttributes({ namespace: fresh });
    for (const name of names) assert.ok(name in (listed.customAttributes ?? {}), name);
  });

  it('keeps running, logs each problem with its fix and lists them on /readyz', async () => {
    // As a new user would start it: no Lease namespace, a managed namespace not created yet, Temporal away.
    const operator = keelsonProcess('operator', [
      `--kubeconfig=${env.kubeconfig}`,
      '--temporal-address=127.0.0.1:1',
      '--lease-namespace=no-lease-namespace',
      '--namespace=not-created-yet',
      '--task-queue=preflight',
    ]);
    await operator.start({ polling: false });
    try {
      const readyz = async () => {
        const response = await fetch(`${operator.healthUrl()}/readyz`);
        return { status: response.status, text: await response.text() };
      };
      const answer = await eventually('/readyz to list all three problems', async () => {
        const r = await readyz();
        return /cannot reach Temporal at 127\.0\.0\.1:1/.test(r.text) &&
          /namespace "no-lease-namespace" does not exist/.test(r.text) &&
          /"not-created-yet" does not exist/.test(r.text)
          ? r
          : undefined;
      });
      assert.equal(answer.status, 503);
      assert.match(answer.text, /--temporal-address \(KEELSON_TEMPORAL_ADDRESS\)/);
      // Alive all the while: not restarted in a loop, and not silent.
      assert.equal((await fetch(`${operator.healthUrl()}/healthz`)).status, 200);
      const logged = operator
        .output()
        .split('\n')
        .filter((line) => line.includes('"level":50'));
      assert.ok(
        logged.some((line) => line.includes('cannot reach Temporal')),
        'Temporal logged',
      );
      assert.ok(
        logged.some((line) => line.includes('leader Lease')),
        'Lease logged',
      );
    } finally {
      await operator.kill('SIGTERM');
    }
  });
});
