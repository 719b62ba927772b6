// The shipped RBAC on the real API server: the operator's ServiceAccount can
// do everything the operator does in a namespace it manages, and is refused
// elsewhere (another namespace's Secrets and pods, cluster-wide Secrets,
// Nodes it would change, RBAC itself).
import type { KubeConfig } from '@kubernetes/client-node';
import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PolicyV1Api,
  RbacAuthorizationV1Api,
} from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiVersion, group, kind, plural, version } from '../../../src/crd/kafka-cluster.ts';
import { userPlural } from '../../../src/crd/kafka-user.ts';
import { topicPlural } from '../../../src/crd/kafka-topic.ts';
import { minimalSpec } from '../../fixtures/kafka-cluster-specs.ts';
import { adminKubeConfig, createNamespace } from '../../helpers/cluster.ts';
import { applyShippedRbac, operatorKubeConfig } from '../../helpers/operator-rbac.ts';
import { installCrd } from '../../helpers/crd.ts';

const forbidden = (err: { code?: number }) => err.code === 403;

describe('the shipped operator RBAC', () => {
  const admin = adminKubeConfig();
  const core = admin.makeApiClient(CoreV1Api);
  let managed = '';
  let other = '';
  let asOperator: KubeConfig;

  before(async () => {
    await installCrd(admin);
    managed = await createNamespace(core, 'managed');
    other = await createNamespace(core, 'unmanaged');
    await applyShippedRbac(admin, managed);
    for (const namespace of [managed, other]) {
      await core.createNamespacedSecret({
        namespace,
        body: { metadata: { name: 'backup-creds' }, stringData: { k: 'v' } },
      });
    }
    asOperator = (await operatorKubeConfig(admin)).kubeconfig;
  });

  after(async () => {
    await core.deleteNamespace({ name: managed });
    await core.deleteNamespace({ name: other });
    await admin
      .makeApiClient(RbacAuthorizationV1Api)
      .deleteClusterRoleBinding({ name: 'keelson-operator-watch' })
      .catch(() => undefined);
  });

  it('lets the operator do its work in a managed namespace', async () => {
    const opCore = asOperator.makeApiClient(CoreV1Api);
    const opCustom = asOperator.makeApiClient(CustomObjectsApi);
    await admin.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      group,
      version,
      namespace: managed,
      plural,
      body: { apiVersion, kind, metadata: { name: 'orders' }, spec: minimalSpec },
    });

    await opCustom.listClusterCustomObject({ group, version, plural });
    // KafkaUsers everywhere (the watcher), and the Secrets of certificates and passwords it keeps.
    await opCustom.listClusterCustomObject({ group, version, plural: userPlural });
    await opCustom.listNamespacedCustomObject({ group, version, namespace: managed, plural: userPlural });
    // KafkaTopics the same way: listed everywhere, their finalizer and status in a managed namespace.
    await opCustom.listClusterCustomObject({ group, version, plural: topicPlural });
    await admin.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      group,
      version,
      namespace: managed,
      plural: topicPlural,
      body: {
        apiVersion,
        kind: 'KafkaTopic',
        metadata: { name: 'events' },
        spec: { cluster: 'orders', partitions: 1, replicas: 1 },
      },
    });
    for (const body of [
      [{ op: 'add', path: '/metadata/finalizers', value: ['keelson.dev/topic-deletion'] }],
      [{ op: 'remove', path: '/metadata/finalizers' }],
    ])
      await opCustom.patchNamespacedCustomObject({
        group,
        version,
        namespace: managed,
        plural: topicPlural,
        name: 'events',
        body,
      });
    await opCustom.patchNamespacedCustomObjectStatus({
      group,
      version,
      namespace: managed,
      plural: topicPlural,
      name: 'events',
      body: [{ op: 'add', path: '/status', value: { observedGeneration: 1 } }],
    });
    const tlsSecret = { metadata: { name: 'orders-cluster-ca' }, data: { 'ca.crt': 'eA==' } };
    await opCore.createNamespacedSecret({ namespace: managed, body: tlsSecret });
    const stored = await opCore.readNamespacedSecret({ name: 'orders-cluster-ca', namespace: managed });
    await opCore.replaceNamespacedSecret({ name: 'orders-cluster-ca', namespace: managed, body: stored });
    // The watcher lists owned pods and claims across namespaces (read only).
    await opCore.listPodForAllNamespaces({ labelSelector: 'app.kubernetes.io/managed-by=keelson' });
    await opCore.listPersistentVolumeClaimForAllNamespaces({
      labelSelector: 'app.kubernetes.io/managed-by=keelson',
    });
    await opCustom.patchNamespacedCustomObjectStatus({
      group,
      version,
      namespace: managed,
      plural,
      name: 'orders',
      body: [{ op: 'add', path: '/status', value: { observedGeneration: 1 } }],
    });
    await opCustom.patchNamespacedCustomObject({
      group,
      version,
      namespace: managed,
      plural,
      name: 'orders',
      body: [{ op: 'add', path: '/metadata/finalizers', value: ['keelson.dev/teardown'] }],
    });
    // And take it off again once teardown is done (else the namespace could never go).
    await opCustom.patchNamespacedCustomObject({
      group,
      version,
      namespace: managed,
      plural,
      name: 'orders',
      body: [{ op: 'remove', path: '/metadata/finalizers' }],
    });
    // A restore drill's scratch cluster: created and deleted by the operator.
    await opCustom.createNamespacedCustomObject({
      group,
      version,
      namespace: managed,
      plural,
      body: { apiVersion, kind, metadata: { name: 'orders-restore-drill' }, spec: minimalSpec },
    });
    await opCustom.deleteNamespacedCustomObject({
      group,
      version,
      namespace: managed,
      plural,
      name: 'orders-restore-drill',
    });
    await opCore.listNode();
    await opCore.createNamespacedConfigMap({
      namespace: managed,
      body: { metadata: { name: 'orders-config' } },
    });
    await opCore.createNamespacedService({
      namespace: managed,
      body: { metadata: { name: 'orders-nodes' }, spec: { clusterIP: 'None', ports: [{ port: 9093 }] } },
    });
    await opCore.createNamespacedPersistentVolumeClaim({
      namespace: managed,
      body: {
        metadata: { name: 'data-orders-0' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      },
    });
    await opCore.createNamespacedPod({
      namespace: managed,
      body: {
        metadata: { name: 'probe' },
        spec: { containers: [{ name: 'c', image: 'apache/kafka:4.1.1' }] },
      },
    });
    await opCore.deleteNamespacedPod({ name: 'probe', namespace: managed });
    await asOperator.makeApiClient(PolicyV1Api).createNamespacedPodDisruptionBudget({
      namespace: managed,
      body: {
        metadata: { name: 'orders-brokers' },
        spec: { maxUnavailable: 1, selector: { matchLabels: { a: 'b' } } },
      },
    });
    await opCore.readNamespacedSecret({ name: 'backup-creds', namespace: managed });
    await opCore.createNamespacedEvent({
      namespace: managed,
      body: {
        metadata: { generateName: 'orders-' },
        involvedObject: { apiVersion, kind, name: 'orders', namespace: managed },
        reason: 'Test',
        message: 'rbac check',
        type: 'Normal',
      },
    });
    await asOperator.makeApiClient(CoordinationV1Api).createNamespacedLease({
      namespace: 'keelson-system',
      body: { metadata: { name: `keelson-test-${Date.now()}` }, spec: { holderIdentity: 'test' } },
    });
  });

  it('refuses the operator outside what it needs', async () => {
    const opCore = asOperator.makeApiClient(CoreV1Api);
    await assert.rejects(opCore.readNamespacedSecret({ name: 'backup-creds', namespace: other }), forbidden);
    await assert.rejects(opCore.listNamespacedSecret({ namespace: managed }), forbidden);
    await assert.rejects(opCore.listSecretForAllNamespaces(), forbidden);
    await assert.rejects(
      opCore.createNamespacedSecret({ namespace: other, body: { metadata: { name: 'planted' } } }),
      forbidden,
    );
    await assert.rejects(
      opCore.deleteNamespacedSecret({ name: 'orders-cluster-ca', namespace: managed }),
      forbidden,
    );
    await assert.rejects(
      asOperator.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
        group,
        version,
        namespace: other,
        plural,
        body: { apiVersion, kind, metadata: { name: 'elsewhere' }, spec: minimalSpec },
      }),
      forbidden,
    );
    await assert.rejects(
      opCore.createNamespacedPod({
        namespace: other,
        body: {
          metadata: { name: 'probe' },
          spec: { containers: [{ name: 'c', image: 'apache/kafka:4.1.1' }] },
        },
      }),
      forbidden,
    );
    await assert.rejects(opCore.deleteNode({ name: 'node-zone-a' }), forbidden);
    await assert.rejects(opCore.deleteCollectionNamespacedPod({ namespace: other }), forbidden);
    await assert.rejects(
      asOperator.makeApiClient(RbacAuthorizationV1Api).createClusterRoleBinding({
        body: {
          metadata: { name: 'escalate' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
          subjects: [{ kind: 'ServiceAccount', name: 'keelson-operator', namespace: 'keelson-system' }],
        },
      }),
      forbidden,
    );
  });
});
