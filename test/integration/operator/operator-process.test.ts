// Two `keelson operator` processes running as the shipped ServiceAccount with
// the shipped RBAC (deploy/), against the real API server, Temporal and
// Kafka: exactly one holds the Lease and watches; both serve /healthz,
// /readyz and /metrics; a KafkaCluster is provisioned end to end by them;
// killing the leader moves the Lease to the other within the lease duration,
// and a change made then is signalled once and carried out once; SIGTERM
// stops the survivor cleanly and gives the Lease up.
import { CoordinationV1Api, CoreV1Api, CustomObjectsApi, EventsV1Api } from '@kubernetes/client-node';
import { Client, Connection } from '@temporalio/client';
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { group, plural, version } from '../../../src/crd/kafka-cluster.ts';
import { clusterWorkflowId } from '../../../src/workflows/messages.ts';
import { minimalSpec } from '../../fixtures/kafka-cluster-specs.ts';
import { adminKubeConfig, createNamespace, env, eventually } from '../../helpers/cluster.ts';
import { installCrd } from '../../helpers/crd.ts';
import { createKafkaCluster, readClusterStatus, readyAtGeneration } from '../../helpers/kafka-cluster.ts';
import { isReady } from '../../helpers/kafka.ts';
import type { KafkaClusterStatus } from '../../../src/crd/kafka-cluster.ts';
import { applyShippedRbac, operatorKubeConfig } from '../../helpers/operator-rbac.ts';
import { keelsonProcess, type KeelsonProcess } from '../../helpers/worker-process.ts';
import { clusterHistory } from '../../helpers/workflow-history.ts';

const leaseSeconds = 6;

describe('keelson operator processes', () => {
  const admin = adminKubeConfig();
  const core = admin.makeApiClient(CoreV1Api);
  const custom = admin.makeApiClient(CustomObjectsApi);
  const leases = admin.makeApiClient(CoordinationV1Api);
  const taskQueue = `operator-${Date.now()}`;
  const leaseName = `keelson-test-${Date.now()}`;
  let namespace = '';
  let operators: KeelsonProcess[] = [];
  let connection: Connection;
  let client: Client;

  const holder = async () =>
    (await leases.readNamespacedLease({ name: leaseName, namespace: 'keelson-system' })).spec?.holderIdentity;
  const identityOf = (operator: KeelsonProcess) =>
    /"identity":"([^"]+)"/.exec(operator.output())?.[1] ?? 'unknown';
  const get = async (url: string) => {
    const response = await fetch(url);
    return { status: response.status, text: await response.text() };
  };
  const signalled = (name: string) => clusterHistory(client, namespace, name);

  before(async () => {
    await installCrd(admin);
    namespace = await createNamespace(core, 'operator');
    await applyShippedRbac(admin, namespace);
    const { file } = await operatorKubeConfig(admin);
    connection = await Connection.connect({ address: env.temporal.address });
    client = new Client({ connection, namespace: env.temporal.namespace });
    operators = [0, 1].map(() =>
      keelsonProcess('operator', [
        `--kubeconfig=${file}`,
        `--task-queue=${taskQueue}`,
        `--namespace=${namespace}`,
        '--lease-namespace=keelson-system',
        `--lease-name=${leaseName}`,
        `--lease-duration=${leaseSeconds}`,
      ]),
    );
    for (const operator of operators) await operator.start();
  });

  // A failure here is usually only explained by what the operators logged: print the end of it.
  afterEach(async (t) => {
    // Node 24 sets `passed` on the context; @types/node does not declare it.
    if ((t as { passed?: boolean }).passed !== false) return;
    for (const [index, operator] of operators.entries())
      console.log(
        `--- operator ${index} (${identityOf(operator)}), last lines:\n${operator.output().split('\n').slice(-80).join('\n')}`,
      );
    const pods = await core.listNamespacedPod({ namespace }).catch(() => ({ items: [] }));
    console.log(
      `--- pods:\n${JSON.stringify(pods.items.map((p) => ({ name: p.metadata?.name, uid: p.metadata?.uid, status: p.status })))}`,
    );
    const status = await readClusterStatus(custom, namespace, 'orders').catch(() => undefined);
    console.log(`--- status:\n${JSON.stringify(status)}`);
  });

  after(async () => {
    for (const operator of operators) await operator.kill();
    await client?.workflow
      .getHandle(clusterWorkflowId(namespace, 'orders'))
      .terminate('test finished')
      .catch(() => undefined);
    await connection?.close();
    await leases
      .deleteNamespacedLease({ name: leaseName, namespace: 'keelson-system' })
      .catch(() => undefined);
    if (namespace) await core.deleteNamespace({ name: namespace });
  });

  it('elects one leader, serves health and metrics, provisions a cluster as the ServiceAccount and repairs a deleted pod', async () => {
    const leaderIdentity = await eventually('a Lease holder', async () => (await holder()) || undefined);
    const leaders = operators.filter((o) => identityOf(o) === leaderIdentity);
    assert.equal(leaders.length, 1, 'exactly one of the two processes holds the Lease');
    for (const operator of operators) {
      assert.equal((await get(`${operator.healthUrl()}/healthz`)).status, 200);
      await eventually(
        '/readyz 200',
        async () => (await get(`${operator.healthUrl()}/readyz`)).status === 200 || undefined,
      );
      const metrics = (await get(`${operator.healthUrl()}/metrics`)).text;
      const leading = identityOf(operator) === leaderIdentity;
      assert.match(metrics, new RegExp(`^keelson_leader ${leading ? 1 : 0}$`, 'm'));
      if (leading) assert.match(metrics, /^keelson_watch_events_total\{kind="list"\} [1-9]/m);
      else assert.doesNotMatch(metrics, /keelson_watch_events_total\{/, 'the standby does not watch');
    }

    await createKafkaCluster(custom, namespace, 'orders', minimalSpec);
    await readyAtGeneration(custom, namespace, 'orders', 1, 300_000);
    const [leader] = leaders;
    assert.ok(leader);
    const metrics = (await get(`${leader.healthUrl()}/metrics`)).text;
    assert.match(metrics, /^keelson_signals_sent_total\{signal="spec"\} 1$/m);

    // A pod deleted behind the operator's back: the watcher's drift signal gets it repaired.
    const [victim] = (await core.listNamespacedPod({ namespace })).items.filter((p) =>
      p.metadata?.name?.endsWith('-1'),
    );
    await core.deleteNamespacedPod({ name: victim?.metadata?.name ?? '', namespace });
    await eventually(
      'the deleted pod to be repaired',
      async () => {
        const pods = (await core.listNamespacedPod({ namespace })).items;
        const again = pods.find((p) => p.metadata?.name === victim?.metadata?.name);
        const status = (await readClusterStatus(custom, namespace, 'orders')) as KafkaClusterStatus;
        return again &&
          again.metadata?.uid !== victim?.metadata?.uid &&
          isReady(again) &&
          status.lastOperation?.type === 'repair' &&
          status.lastOperation.result === 'Succeeded'
          ? true
          : undefined;
      },
      240_000,
      1_000,
    );
    assert.match(
      (await get(`${leader.healthUrl()}/metrics`)).text,
      /^keelson_signals_sent_total\{signal="drift"\} [1-9]/m,
    );
    // Each operation is counted once, by whichever process's worker finished it.
    const counted = async (type: string) => {
      let total = 0;
      for (const operator of operators) {
        const text = (await get(`${operator.healthUrl()}/metrics`)).text;
        total += Number(
          new RegExp(`^keelson_operations_total\\{type="${type}",result="Succeeded"\\} (\\d+)`, 'm').exec(
            text,
          )?.[1] ?? 0,
        );
      }
      return total;
    };
    assert.equal(await counted('provision'), 1);
    assert.equal(await counted('repair'), 1);
  });

  it('moves the Lease within its duration when the leader dies, and acts on each change once', async () => {
    const leaderIdentity = await holder();
    const leader = operators.find((o) => identityOf(o) === leaderIdentity);
    const standby = operators.find((o) => o !== leader);
    assert.ok(leader && standby);
    const killedAt = Date.now();
    await leader.kill('SIGKILL');
    const newHolder = await eventually(
      'the standby to take the Lease',
      async () => {
        const current = await holder();
        return current && current !== leaderIdentity ? current : undefined;
      },
      (leaseSeconds + 10) * 1000,
    );
    const tookOverMs = Date.now() - killedAt;
    assert.equal(newHolder, identityOf(standby));
    assert.ok(tookOverMs <= (leaseSeconds + 4) * 1000, `took over after ${tookOverMs} ms`);

    // A dynamic config change: a configure operation without restarts.
    await custom.patchNamespacedCustomObject({
      group,
      version,
      namespace,
      plural,
      name: 'orders',
      body: [{ op: 'add', path: '/spec/config', value: { 'log.retention.ms': 3_600_000 } }],
    });
    await readyAtGeneration(custom, namespace, 'orders', 2, 180_000);
    const { generations, children } = await signalled('orders');
    assert.deepEqual(generations, [1, 2], 'each generation signalled once, in order, across the two leaders');
    assert.equal(
      children.filter((id) => id.startsWith('configure/')).length,
      1,
      'the change carried out once',
    );
    assert.equal(children.filter((id) => id.startsWith('provision/')).length, 1);
  });

  it('tears a deleted cluster down before letting it go, keeping its volume claims', async () => {
    const object = (await custom.getNamespacedCustomObject({
      group,
      version,
      plural,
      namespace,
      name: 'orders',
    })) as {
      metadata: { finalizers?: string[] };
    };
    assert.deepEqual(object.metadata.finalizers, ['keelson.dev/teardown'], 'the watcher added the finalizer');
    const deletedAt = Date.now();
    await custom.deleteNamespacedCustomObject({ group, version, plural, namespace, name: 'orders' });
    const gone = await eventually(
      'the KafkaCluster to be gone after teardown',
      async () =>
        await custom
          .getNamespacedCustomObject({ group, version, plural, namespace, name: 'orders' })
          .then(() => undefined)
          .catch((err: { code?: number }) => (err.code === 404 ? true : undefined)),
      300_000,
      1_000,
    );
    assert.ok(gone);
    const tornDownIn = Date.now() - deletedAt;
    assert.deepEqual(
      (await core.listNamespacedPod({ namespace })).items.map((p) => p.metadata?.name),
      [],
    );
    const claims = (await core.listNamespacedPersistentVolumeClaim({ namespace })).items;
    assert.equal(claims.length, 3, 'claims of a pool without deleteClaim are kept');
    const { children } = await signalled('orders');
    assert.equal(children.filter((id) => id.startsWith('teardown/')).length, 1);
    const events = await admin.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace });
    const tornDown = events.items.find((e) => e.reason === 'TornDown');
    assert.match(tornDown?.note ?? '', /volume claims kept .*data-orders-combined-0/);
    assert.ok(tornDownIn < 300_000, `torn down in ${tornDownIn} ms`);
  });

  it('refuses to run a cluster created again under the same name on the claims the earlier one kept, until asked', async () => {
    const claimsBefore = (await core.listNamespacedPersistentVolumeClaim({ namespace })).items;
    assert.equal(claimsBefore.length, 3);
    const keptId = claimsBefore[0]?.metadata?.annotations?.['keelson.dev/kafka-cluster-id'];
    assert.ok(keptId, 'each claim names the Kafka cluster id of its data');

    const again = await createKafkaCluster(custom, namespace, 'orders', minimalSpec);
    const refused = await eventually(
      'the new cluster to report the kept claims',
      async () => {
        const status = await readClusterStatus(custom, namespace, 'orders');
        return status?.conditions?.find((c) => c.type === 'Degraded' && c.status === 'True');
      },
      120_000,
      1_000,
    );
    assert.match(refused.message, /data-orders-combined-0 was kept by an earlier KafkaCluster orders/);
    assert.ok(refused.message.includes(`spec.kafkaClusterId: ${keptId}`), refused.message);
    const claimsAfter = (await core.listNamespacedPersistentVolumeClaim({ namespace })).items;
    assert.deepEqual(
      claimsAfter.map((c) => [c.metadata?.name, c.metadata?.resourceVersion]),
      claimsBefore.map((c) => [c.metadata?.name, c.metadata?.resourceVersion]),
      'the kept claims are untouched',
    );
    assert.deepEqual((await core.listNamespacedPod({ namespace })).items, [], 'no pod was started on them');

    // Asked for explicitly: a cluster with the kept data's Kafka cluster id runs on it.
    await custom.deleteNamespacedCustomObject({ group, version, plural, namespace, name: 'orders' });
    await eventually(
      'the refused cluster to be gone',
      async () =>
        custom
          .getNamespacedCustomObject({ group, version, plural, namespace, name: 'orders' })
          .then(() => undefined)
          .catch((err: { code?: number }) => (err.code === 404 ? true : undefined)),
      120_000,
      1_000,
    );
    const adopted = await createKafkaCluster(custom, namespace, 'orders', {
      ...minimalSpec,
      kafkaClusterId: keptId,
    });
    assert.notEqual(adopted, again);
    await readyAtGeneration(custom, namespace, 'orders', 1, 300_000);
    const claims = (await core.listNamespacedPersistentVolumeClaim({ namespace })).items;
    assert.deepEqual(
      claims.map((c) => c.metadata?.name).sort(),
      claimsBefore.map((c) => c.metadata?.name).sort(),
      'the same claims, no new ones',
    );
    assert.ok(claims.every((c) => c.metadata?.labels?.['keelson.dev/cluster-uid'] === adopted));
  });

  it('stops cleanly on SIGTERM and gives the Lease up', async () => {
    const current = await holder();
    const leader = operators.find((o) => identityOf(o) === current);
    assert.ok(leader, 'the survivor leads');
    const started = Date.now();
    const code = await leader.kill('SIGTERM');
    assert.equal(code, 0, leader.output().slice(-2000));
    assert.ok(Date.now() - started < 30_000);
    assert.match(leader.output(), /"msg":"stopped"/);
    assert.equal(await holder(), '', 'the Lease is free for the next replica at once');
  });
});
