// Two changes of a cluster's security on the real API server, Temporal and
// Kafka brokers, each on a cluster of its own and run side by side (each is
// mostly waiting: on rolls, on a CA's end).
//
// A plaintext cluster made secured as a user does it: spec.security and a TLS
// listener added while an acks=all producer writes over plaintext; Keelson
// moves the cluster in three rolls (TLS listeners opened, replication and the
// quorum moved onto them, the plaintext controller listener closed), each node
// restarting once per stage; then the clients move to the mTLS listener with a
// KafkaUser's certificate and the plaintext listener is removed under the
// authorizer, with the TLS producer running. No acknowledged record is lost.
//
// A secured cluster's clients CA renewed in three phases: the brokers trust
// the new CA beside the old one, KafkaUsers get certificates of the new one
// while the old one is still trusted, and the old one is dropped once it ends.
import { CoreV1Api, CustomObjectsApi, EventsV1Api } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { certificateFacts, createCa } from '../../../src/activities/tls/pki.ts';
import { group, userPlural, version } from '../../../src/crd/kafka-user.ts';
import { names } from '../../../src/domain/names.ts';
import { minimalSpec } from '../../fixtures/kafka-cluster-specs.ts';
import { adminKubeConfig, eventually } from '../../helpers/cluster.ts';
import { expectNothingLost, startSteadyProducer, type ClientSecurity } from '../../helpers/kafka.ts';
import {
  brokerStarts,
  changeSpec,
  clusterEvents,
  readClusterStatus,
  readyAtGeneration,
} from '../../helpers/kafka-cluster.ts';
import { closeWithUsers, createKafkaUser, signalUsersWorkflow } from '../../helpers/kafka-users.ts';
import {
  clusterName,
  managedCluster,
  provisioned,
  type ManagedCluster,
} from '../../helpers/managed-cluster.ts';
import { clientsCaCertificate, podLookup, secretFile, tryAdmin } from '../../helpers/tls-clients.ts';

const ports = { plain: 9092, mtls: 9094 };

describe('security changes of running clusters', { concurrency: true }, () => {
  const admin = adminKubeConfig();
  const core = admin.makeApiClient(CoreV1Api);
  const custom = admin.makeApiClient(CustomObjectsApi);
  /** The plaintext cluster to upgrade, and the secured one whose clients CA is renewed. */
  let cluster: ManagedCluster;
  let secured: ManagedCluster;
  let namespace = '';
  const running = new Set<ReturnType<typeof startSteadyProducer>>();

  before(async () => {
    // One after the other: both install the CRDs.
    cluster = await managedCluster(admin, 'upgrade', {
      ...minimalSpec,
      listeners: [{ name: 'plain', port: ports.plain }],
    });
    // A short resync: with no watcher here, the periodic pass is what notices a CA due.
    secured = await managedCluster(
      admin,
      'clients-ca',
      {
        ...minimalSpec,
        listeners: [{ name: 'mtls', port: ports.mtls, tls: true, authentication: { type: 'mtls' } }],
        security: { authorization: { type: 'simple', superUsers: ['admin'] } },
      },
      ['--resync-interval=5s'],
    );
    namespace = cluster.namespace;
    await Promise.all([provisioned(admin, cluster), provisioned(admin, secured)]);
  });
  after(async () => {
    for (const producer of running) await producer.stop().catch(() => undefined);
    await Promise.all([closeWithUsers(cluster), closeWithUsers(secured)]);
  });

  /** Stops a producer and checks that no send failed and every acknowledged record is read back. */
  const finish = async (
    producer: ReturnType<typeof startSteadyProducer>,
    hosts: string[],
    topic: string,
    client: ClientSecurity = {},
  ) => {
    running.delete(producer);
    await expectNothingLost(producer, hosts, topic, client);
  };
  /** How often each node's broker of `of` has started so far. */
  const startsOf = async (of: ManagedCluster = cluster) =>
    new Map(
      (await of.pods()).map((p) => [
        p.metadata?.name ?? '',
        brokerStarts(of.namespace, p.metadata?.name ?? ''),
      ]),
    );
  const restartsSince = (before: Map<string, number>, of: ManagedCluster = cluster) =>
    Object.fromEntries([...before].map(([pod, starts]) => [pod, brokerStarts(of.namespace, pod) - starts]));
  const each = (starts: Map<string, number>, restarts: number) =>
    Object.fromEntries([...starts.keys()].map((pod) => [pod, restarts]));

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

    const securedGeneration = await changeSpec(custom, cluster.client, key, [
      { op: 'add', path: '/spec/security', value: {} },
      {
        op: 'add',
        path: '/spec/listeners/-',
        value: { name: 'mtls', port: ports.mtls, tls: true, authentication: { type: 'mtls' } },
      },
    ]);
    const status = await readyAtGeneration(custom, namespace, clusterName, securedGeneration, 900_000);
    assert.equal(status.securityStage, 'upgraded');
    assert.deepEqual(
      restartsSince(beforeUpgrade),
      each(beforeUpgrade, 3),
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
    assert.deepEqual(restartsSince(beforeClosing), each(beforeClosing, 1), 'one roll');
    await finish(tlsProducer, tlsHosts, 'payments', mtls);
    assert.notEqual(await tryAdmin(plainHosts[0] ?? '', {}), 'connected', 'the plaintext listener is gone');
    // There is no way back in place: the API server refuses it.
    await assert.rejects(
      changeSpec(custom, cluster.client, key, [{ op: 'remove', path: '/spec/security' }]),
      (err: { body?: unknown; message?: string }) =>
        /security cannot be removed/.test(`${String(err.body)} ${err.message}`),
    );
  });

  it('renews the clients CA in three phases: KafkaUsers get certificates of the new one, and the old one is trusted until it ends', async () => {
    const ns = secured.namespace;
    const secret = (name: string, file: string) => secretFile(core, ns, name, file);
    const pods = await secured.pods();
    const podHost = `${pods[0]?.spec?.hostname}.${pods[0]?.spec?.subdomain}.${ns}.svc.cluster.local`;
    const clusterCa = await secret(names.clusterCa(clusterName), 'ca.crt');
    const tls = (extra: object = {}) => ({ ca: clusterCa, lookup: podLookup(pods), ...extra });
    const userCertificate = (user: string) => clientsCaCertificate(core, ns, user);
    const caSecret = names.clientsCa(clusterName);
    const stored = await core.readNamespacedSecret({ name: caSecret, namespace: ns });
    // Keelson's clients CA, replaced by one that ends in 120 s: inside its renewal window at once.
    const ending = await createCa('ending clients CA', 120 / 86_400);
    const base64 = (text: string) => Buffer.from(text).toString('base64');
    await core.replaceNamespacedSecret({
      name: caSecret,
      namespace: ns,
      body: { ...stored, data: { 'ca.crt': base64(ending.certificatePem), 'ca.key': base64(ending.keyPem) } },
    });
    const starts = await startsOf(secured);
    // A client holding a certificate of the old CA, as a KafkaUser's application does until it reloads.
    const oldClient = { tls: tls(await userCertificate('admin')) };
    await createKafkaUser(custom, ns, 'dave', { authentication: { type: 'tls' } });
    await signalUsersWorkflow(secured);
    const phasesSeen: string[] = [];
    let oldClientInReissue = '';
    let daveInReissue = '';
    await eventually(
      'the clients CA renewal through its three phases and finished',
      async () => {
        const current = await core.readNamespacedSecret({ name: caSecret, namespace: ns });
        const phase = current.metadata?.annotations?.['keelson.dev/ca-renewal-phase'];
        if (phase && !phasesSeen.includes(phase)) phasesSeen.push(phase);
        if (phase === 'reissue' && !daveInReissue) {
          const newCa = await secret(caSecret, 'ca.crt');
          const daveCertificate = await secret('dave', 'user.crt');
          if (!certificateFacts(daveCertificate).signedBy(newCa)) return undefined; // not reissued yet
          const dave = { tls: tls({ cert: daveCertificate, key: await secret('dave', 'user.key') }) };
          daveInReissue = await tryAdmin(`${podHost}:${ports.mtls}`, dave);
          oldClientInReissue = await tryAdmin(`${podHost}:${ports.mtls}`, oldClient);
        }
        if (phase || (await secret(caSecret, 'ca.crt')) === ending.certificatePem) return undefined;
        const status = await readClusterStatus(custom, ns, clusterName);
        return status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' &&
          !status.clientsCaRenewal
          ? true
          : undefined;
      },
      600_000,
      500,
    );
    assert.deepEqual(phasesSeen, ['trust-new', 'reissue', 'drop-old']);
    assert.equal(daveInReissue, 'connected', "dave's certificate of the new CA");
    assert.equal(oldClientInReissue, 'connected', 'a certificate of the old CA, while it lasts');
    // Trusting the new CA and dropping the old one are a roll each; the reissue is no roll.
    assert.deepEqual(restartsSince(starts, secured), each(starts, 2));
    const newCa = await secret(caSecret, 'ca.crt');
    for (const pod of starts.keys())
      assert.equal(
        await secret(names.nodeCertificate(pod), 'clients-ca.crt'),
        newCa,
        `${pod}: trusts the new clients CA alone`,
      );
    const dave = {
      tls: tls({ cert: await secret('dave', 'user.crt'), key: await secret('dave', 'user.key') }),
    };
    assert.equal(await tryAdmin(`${podHost}:${ports.mtls}`, dave), 'connected');
    assert.notEqual(await tryAdmin(`${podHost}:${ports.mtls}`, oldClient), 'connected');
    const events = await clusterEvents(admin.makeApiClient(EventsV1Api), ns, clusterName);
    assert.equal(
      events.filter((e) => e.reason === 'CertificateAuthorityRenewal' && e.note.startsWith('clients CA'))
        .length,
      4,
      'three phases and the end',
    );
  });
});
