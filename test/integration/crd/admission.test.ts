// The generated KafkaCluster CRD on the real API server: valid specs are
// accepted, bad ones are refused at admission with a message naming the
// field, transition rules guard updates, and status is only writable through
// the status subresource.
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiVersion, group, kind, plural, version } from '../../../src/crd/kafka-cluster.ts';
import { invalidSpecs, minimalSpec, validSpecs } from '../../fixtures/kafka-cluster-specs.ts';
import { adminKubeConfig, createNamespace } from '../../helpers/cluster.ts';
import { apiErrorMessage, installCrd } from '../../helpers/crd.ts';

const kubeconfig = adminKubeConfig();
const core = kubeconfig.makeApiClient(CoreV1Api);
const custom = kubeconfig.makeApiClient(CustomObjectsApi);

describe('KafkaCluster admission', () => {
  let namespace = '';
  const create = (name: string, spec: unknown, extra: Record<string, unknown> = {}) =>
    custom.createNamespacedCustomObject({
      group,
      version,
      namespace,
      plural,
      body: { apiVersion, kind, metadata: { name }, spec, ...extra },
    });
  const get = (name: string) =>
    custom.getNamespacedCustomObject({ group, version, namespace, plural, name }) as Promise<{
      metadata: { resourceVersion: string; generation: number };
      spec: Record<string, unknown>;
      status?: Record<string, unknown>;
    }>;
  const replace = (name: string, body: object) =>
    custom.replaceNamespacedCustomObject({ group, version, namespace, plural, name, body });

  before(async () => {
    await installCrd(kubeconfig);
    namespace = await createNamespace(core, 'admission');
  });
  after(async () => {
    await core.deleteNamespace({ name: namespace });
  });

  validSpecs.forEach(({ name, spec }, i) => {
    it(`accepts ${name}`, async () => {
      await create(`valid-${i}`, spec);
    });
  });

  invalidSpecs.forEach(({ name, spec, field, message, rule, workflowOnly }, i) => {
    if (workflowOnly) return;
    it(`refuses ${name}, naming spec.${field}`, async () => {
      await assert.rejects(create(`invalid-${i}`, spec), (err: { code?: number }) => {
        const text = apiErrorMessage(err);
        assert.equal(err.code, 422, text);
        assert.ok(text.includes(`spec.${field}`), `"${text}" does not name spec.${field}`);
        if (rule) assert.match(text, message);
        return true;
      });
    });
  });

  it('takes a cluster name of 63 characters and refuses one of 64, which no label value can hold', async () => {
    await create(`a${'b'.repeat(62)}`, minimalSpec);
    await assert.rejects(create(`a${'b'.repeat(63)}`, minimalSpec), (err: { code?: number }) => {
      assert.equal(err.code, 422);
      assert.match(apiErrorMessage(err), /at most 63 characters/);
      return true;
    });
  });

  for (const name of ['orders.eu', '1orders']) {
    it(`refuses the cluster name ${name}, which no Service name can start with`, async () => {
      await assert.rejects(create(name, minimalSpec), (err: { code?: number }) => {
        assert.equal(err.code, 422);
        assert.match(apiErrorMessage(err), /must be a DNS-1035 label/);
        return true;
      });
    });
  }

  it('refuses to change a node pool storage class', async () => {
    await create('immutable-class', {
      ...minimalSpec,
      nodePools: [{ ...minimalSpec.nodePools[0], storage: { size: '1Gi', class: 'fast' } }],
    });
    const current = await get('immutable-class');
    const pools = current.spec.nodePools as { storage: { class: string } }[];
    if (pools[0]) pools[0].storage.class = 'slow';
    await assert.rejects(replace('immutable-class', current), (err) =>
      /spec.nodePools\[0\].storage.class.*storage.class cannot change/.test(apiErrorMessage(err)),
    );
  });

  it('refuses a downgrade to an older major version but allows an upgrade', async () => {
    await create('versions', { ...minimalSpec, kafkaVersion: '3.9.1' });
    const up = await get('versions');
    up.spec.kafkaVersion = '4.1.1';
    await replace('versions', up);
    const down = await get('versions');
    down.spec.kafkaVersion = '3.9.1';
    await assert.rejects(replace('versions', down), (err) =>
      /spec.kafkaVersion.*older major version/.test(apiErrorMessage(err)),
    );
  });

  it('applies defaults and keeps status out of reach of spec writes', async () => {
    await create('status', minimalSpec, { status: { brokersReady: '3/3' } });
    const created = await get('status');
    assert.equal(created.status, undefined, 'status in a create is dropped');
    assert.deepEqual(created.spec.replication, { defaultReplicationFactor: 3, minInSyncReplicas: 2 });

    await custom.patchNamespacedCustomObject({
      group,
      version,
      namespace,
      plural,
      name: 'status',
      body: [{ op: 'add', path: '/status', value: { brokersReady: '1/3' } }],
    });
    assert.equal(
      (await get('status')).status,
      undefined,
      'status written through the main resource is ignored',
    );

    await custom.patchNamespacedCustomObjectStatus({
      group,
      version,
      namespace,
      plural,
      name: 'status',
      body: [{ op: 'add', path: '/status', value: { brokersReady: '2/3', observedGeneration: 1 } }],
    });
    const after = await get('status');
    assert.equal(after.status?.brokersReady, '2/3');
    assert.equal(after.metadata.generation, 1);
  });
});
