// The local kube-apiserver is a real one: it serves CRDs with a status
// subresource, streams watch events and bookmarks, and enforces RBAC for
// ServiceAccount tokens.
import {
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  RbacAuthorizationV1Api,
  Watch,
} from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminKubeConfig, createNamespace, env, eventually } from '../../helpers/cluster.ts';

const group = 'testenv.keelson.dev';
const plural = 'widgets';
const version = 'v1';

describe('local kube-apiserver', () => {
  const kubeconfig = adminKubeConfig();
  const core = kubeconfig.makeApiClient(CoreV1Api);
  const custom = kubeconfig.makeApiClient(CustomObjectsApi);
  let namespace = '';
  const createWidget = (name: string, size: number, client = custom) =>
    client.createNamespacedCustomObject({
      group,
      version,
      namespace,
      plural,
      body: { apiVersion: `${group}/${version}`, kind: 'Widget', metadata: { name }, spec: { size } },
    });

  before(async () => {
    namespace = await createNamespace(core, 'apiserver');
    const crds = kubeconfig.makeApiClient(ApiextensionsV1Api);
    await crds
      .createCustomResourceDefinition({
        body: {
          metadata: { name: `${plural}.${group}` },
          spec: {
            group,
            scope: 'Namespaced',
            names: { plural, singular: 'widget', kind: 'Widget' },
            versions: [
              {
                name: version,
                served: true,
                storage: true,
                subresources: { status: {} },
                schema: {
                  openAPIV3Schema: {
                    type: 'object',
                    properties: {
                      spec: {
                        type: 'object',
                        required: ['size'],
                        properties: { size: { type: 'integer', minimum: 1 } },
                      },
                      status: { type: 'object', properties: { phase: { type: 'string' } } },
                    },
                  },
                },
              },
            ],
          },
        },
      })
      .catch((err: { code?: number }) => {
        if (err.code !== 409) throw err;
      });
    await eventually('the Widget CRD to be established', async () => {
      const crd = await crds.readCustomResourceDefinition({ name: `${plural}.${group}` });
      return (
        crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') || undefined
      );
    });
  });

  after(async () => {
    await core.deleteNamespace({ name: namespace });
  });

  it('serves a custom resource, validates it and keeps status in its subresource', async () => {
    const created = (await createWidget('w1', 3)) as { metadata: { generation: number } };
    assert.equal(created.metadata.generation, 1);

    await assert.rejects(
      createWidget('bad', 0),
      (err: { code?: number; body?: string }) => err.code === 422 && /spec.size/.test(String(err.body)),
    );

    await custom.patchNamespacedCustomObjectStatus({
      group,
      version,
      namespace,
      plural,
      name: 'w1',
      body: [{ op: 'add', path: '/status', value: { phase: 'Ready' } }],
    });
    const read = (await custom.getNamespacedCustomObject({
      group,
      version,
      namespace,
      plural,
      name: 'w1',
    })) as {
      metadata: { generation: number };
      status?: { phase?: string };
    };
    assert.equal(read.status?.phase, 'Ready');
    assert.equal(read.metadata.generation, 1, 'a status write must not bump the generation');
  });

  it('delivers watch events and bookmarks for custom resources', async () => {
    const events: { type: string; name?: string; initialEventsEnd?: string }[] = [];
    const controller = await new Watch(kubeconfig).watch(
      `/apis/${group}/${version}/namespaces/${namespace}/${plural}`,
      { allowWatchBookmarks: true, sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan' },
      (type, object: { metadata?: { name?: string; annotations?: Record<string, string> } }) => {
        events.push({
          type,
          name: object.metadata?.name,
          initialEventsEnd: object.metadata?.annotations?.['k8s.io/initial-events-end'],
        });
      },
      () => undefined,
    );
    try {
      await eventually('the initial-events bookmark', async () =>
        events.find((e) => e.type === 'BOOKMARK' && e.initialEventsEnd === 'true'),
      );
      await createWidget('w2', 1);
      await custom.patchNamespacedCustomObject({
        group,
        version,
        namespace,
        plural,
        name: 'w2',
        body: [{ op: 'replace', path: '/spec/size', value: 2 }],
      });
      await custom.deleteNamespacedCustomObject({ group, version, namespace, plural, name: 'w2' });
      await eventually('ADDED, MODIFIED and DELETED events for w2', async () => {
        const types = events.filter((e) => e.name === 'w2').map((e) => e.type);
        return types.includes('DELETED') ? types : undefined;
      });
      assert.deepEqual(
        events.filter((e) => e.name === 'w2').map((e) => e.type),
        ['ADDED', 'MODIFIED', 'DELETED'],
      );
    } finally {
      controller.abort();
    }
  });

  it('rejects a ServiceAccount request its RBAC role does not allow', async () => {
    const rbac = kubeconfig.makeApiClient(RbacAuthorizationV1Api);
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'widget-reader' } } });
    await rbac.createNamespacedRole({
      namespace,
      body: {
        metadata: { name: 'widget-reader' },
        rules: [{ apiGroups: [group], resources: [plural], verbs: ['get', 'list', 'watch'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: 'widget-reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'widget-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'widget-reader', namespace }],
      },
    });
    const token = await core.createNamespacedServiceAccountToken({
      name: 'widget-reader',
      namespace,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const asReader = new KubeConfig();
    asReader.loadFromOptions({
      clusters: [
        { name: 'testenv', server: env.apiServerUrl, caFile: adminKubeConfig().getCurrentCluster()?.caFile },
      ],
      users: [{ name: 'widget-reader', token: token.status?.token }],
      contexts: [{ name: 'reader', cluster: 'testenv', user: 'widget-reader' }],
      currentContext: 'reader',
    });

    const readerCustom = asReader.makeApiClient(CustomObjectsApi);
    const allowed = (await readerCustom.listNamespacedCustomObject({
      group,
      version,
      namespace,
      plural,
    })) as {
      items: unknown[];
    };
    assert.ok(Array.isArray(allowed.items));

    await assert.rejects(
      asReader.makeApiClient(CoreV1Api).listNamespacedPod({ namespace }),
      (err: { code?: number }) => err.code === 403,
    );
    await assert.rejects(createWidget('w3', 1, readerCustom), (err: { code?: number }) => err.code === 403);
  });
});
