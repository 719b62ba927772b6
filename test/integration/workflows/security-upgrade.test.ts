// A plaintext cluster made secured on the real API server, Temporal and Kafka
// brokers, as a user does it: spec.security and a TLS listener added while an
// acks=all producer writes over plaintext; Keelson moves the cluster in three
// rolls (TLS listeners opened, replication and the quorum moved onto them, the
// plaintext controller listener closed), each node restarting once per stage;
// then the clients move to the mTLS listener with a KafkaUser's certificate and
// the plaintext listener is removed under the authorizer, with the TLS
// producer running. No acknowledged record is lost on either side.
import { CoreV1Api, CustomObjectsApi, EventsV1Api } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { group, userPlural, version } from '../../../src/crd/kafka-user.ts';
import { names } from '../../../src/domain/names.ts';
import { minimalSpec } from '../../fixtures/kafka-cluster-specs.ts';
import { adminKubeConfig, eventually } from '../../helpers/cluster.ts';
import { consumeKeys, startSteadyProducer, type ClientSecurity } from '../../helpers/kafka.ts';
import { brokerStarts, changeSpec, clusterEvents, readyAtGeneration } from '../../helpers/kafka-cluster.ts';
import { closeWithUsers, createKafkaUser, signalUsersWorkflow } from '../../helpers/kafka-users.ts';
import {
  clusterName,
  managedCluster,
  provisioned,
  type ManagedCluster,
} from '../../helpers/managed-cluster.ts';
import { podLookup, secretFile, tryAdmin } from '../../helpers/tls-clients.ts';

const ports = { plain: 9092, mtls: 9094 };

describe('upgrading a plaintext cluster to TLS and authentication', () => {
  const admin = adminKubeConfig();
  const core = admin.makeApiClient(CoreV1Api);
  const custom = admin.makeApiClient(CustomObjectsApi);
  let cluster: ManagedCluster;
  let namespace = '';
  const running = new Set<ReturnType<typeof startSteadyProducer>>();

  before(async () => {
    cluster = await managedCluster(admin, 'upgrade', {
      ...minimalSpec,
      listeners: [{ name: 'plain', port: ports.plain }],
    });
    namespace = cluster.namespace;
    await provisioned(admin, cluster);
  });
  after(async () => {
    for (const producer of running) await producer.stop().catch(() => undefined);
    await closeWithUsers(cluster);
  });

  /** Stops a producer and checks that no send failed and every acknowledged record is read back. */
  const finish = async (
    producer: ReturnType<typeof startSteadyProducer>,
    hosts: string[],
    topic: string,
    client: ClientSecurity = {},
  ) => {
    running.delete(producer);
    const { acked, failed } = await producer.stop();
    assert.deepEqual(failed, [], 'no send failed');
    assert.ok(acked.length > 100, `${acked.length} records acknowledged meanwhile`);
    const consumed = await consumeKeys(hosts, topic, acked.length, client);
    assert.deepEqual(
      acked.filter((key) => !consumed.has(key)),
      [],
      'every acknowledged record consumed',
    );
  };
  const startsOf = async () =>
    new Map(
      (await cluster.pods()).map((p) => [
        p.metadata?.name ?? '',
        brokerStarts(namespace, p.metadata?.name ?? ''),
      ]),
    );
  const restartsSince = async (before: Map<string, number>) =>
    Object.fromEntries([...before].map(([pod, starts]) => [pod, brokerStarts(namespace, pod) - starts]));

  it('moves to TLS in three rolls under a plaintext producer; the clients move to mTLS and the plaintext listener goes', async () => {
    const key = { namespace, name: clusterName, uid: cluster.uid };
    const plainHosts = await cluster.bootstrap();
    assert.equal(
      await tryAdmin(plainHosts[0] ?? '', {}, (a) =>
        a.createTopics({
          topics: ['orders'],
          partitions: 3,
          replicas: 3,
          configs: [{ name: 'min.insync.replicas', value: '2' }],
        }),
      ),
      'connected',
    );
    const plainProducer = startSteadyProducer(plainHosts, 'orders', 0);
    running.add(plainProducer);
    const beforeUpgrade = await startsOf();

    const secured = await changeSpec(custom, cluster.client, key, [
      { op: 'add', path: '/spec/security', value: {} },
      {
        op: 'add',
        path: '/spec/listeners/-',
        value: { name: 'mtls', port: ports.mtls, tls: true, authentication: { type: 'mtls' } },
      },
    ]);
    const status = await readyAtGeneration(custom, namespace, clusterName, secured, 900_000);
    assert.equal(status.securityStage, 'upgraded');
    assert.deepEqual(
      await restartsSince(beforeUpgrade),
      Object.fromEntries([...beforeUpgrade.keys()].map((pod) => [pod, 3])),
      'each node restarted once per stage',
    );
    const stages = (await clusterEvents(admin.makeApiClient(EventsV1Api), namespace, clusterName))
      .filter((e) => e.reason === 'SecurityUpgrade')
      .map((e) => e.note.split(':')[0]);
    assert.deepEqual(stages, ['security upgrade 1/3', 'security upgrade 2/3', 'security upgrade 3/3']);
    // The quorum is on TLS alone now: no node listens on the plaintext controller port.
    for (const pod of await cluster.pods()) {
      const listeners = pod.spec?.containers[0]?.env?.find((e) => e.name === 'KAFKA_LISTENERS')?.value ?? '';
      assert.match(listeners, /CONTROLLER_TLS:\/\/\$\(POD_IP\):9090/);
      assert.doesNotMatch(listeners, /:9093/);
    }
    await finish(plainProducer, plainHosts, 'orders');

    // The clients move: a KafkaUser's certificate on the mTLS listener.
    await createKafkaUser(custom, namespace, 'app', { authentication: { type: 'tls' } });
    await signalUsersWorkflow(cluster, 5_000);
    await eventually(
      'KafkaUser app Ready',
      async () => {
        const user = (await custom.getNamespacedCustomObject({
          group,
          version,
          namespace,
          plural: userPlural,
          name: 'app',
        })) as { status?: { conditions?: { type: string; status: string }[] } };
        return user.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      },
      60_000,
      500,
    );
    const secret = (name: string, file: string) => secretFile(core, namespace, name, file);
    const pods = await cluster.pods();
    const mtls: ClientSecurity = {
      tls: {
        ca: await secret(names.clusterCa(clusterName), 'ca.crt'),
        cert: await secret('app', 'user.crt'),
        key: await secret('app', 'user.key'),
        lookup: podLookup(pods),
      },
    };
    const tlsHosts = pods.map(
      (p) => `${p.spec?.hostname}.${p.spec?.subdomain}.${namespace}.svc.cluster.local:${ports.mtls}`,
    );
    assert.equal(
      await tryAdmin(tlsHosts[0] ?? '', mtls, (a) =>
        a.createTopics({
          topics: ['payments'],
          partitions: 3,
          replicas: 3,
          configs: [{ name: 'min.insync.replicas', value: '2' }],
        }),
      ),
      'connected',
    );
    const tlsProducer = startSteadyProducer(tlsHosts, 'payments', 0, mtls);
    running.add(tlsProducer);
    const beforeClosing = await startsOf();
    const closed = await changeSpec(custom, cluster.client, key, [
      { op: 'remove', path: '/spec/listeners/0' },
      { op: 'add', path: '/spec/security/authorization', value: { type: 'simple', superUsers: ['app'] } },
    ]);
    await readyAtGeneration(custom, namespace, clusterName, closed, 600_000);
    assert.deepEqual(
      await restartsSince(beforeClosing),
      Object.fromEntries([...beforeClosing.keys()].map((pod) => [pod, 1])),
      'one roll',
    );
    await finish(tlsProducer, tlsHosts, 'payments', mtls);
    assert.notEqual(await tryAdmin(plainHosts[0] ?? '', {}), 'connected', 'the plaintext listener is gone');
    // There is no way back in place: the API server refuses it.
    await assert.rejects(
      changeSpec(custom, cluster.client, key, [{ op: 'remove', path: '/spec/security' }]),
      (err: { body?: unknown; message?: string }) =>
        /security cannot be removed/.test(`${String(err.body)} ${err.message}`),
    );
  });
});
