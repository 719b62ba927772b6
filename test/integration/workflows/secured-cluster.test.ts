// A secured cluster on the real API server, Temporal and Kafka brokers:
// provisioned to Ready with certificates Keelson issued, its controller
// quorum and replication on mutual TLS, a SCRAM listener and an mTLS
// listener, and Kafka's StandardAuthorizer. The brokers themselves refuse
// what must be refused (a plaintext client, a client trusting another CA, a
// wrong password, an unknown certificate, a user on the replication
// listener); a node certificate that came due while the operator was down is
// renewed by the periodic pass and that node alone restarts with it; and no
// private key is in any Temporal history of the cluster.
import { CoreV1Api, CustomObjectsApi, EventsV1Api, NetworkingV1Api } from '@kubernetes/client-node';
import { Connection as KafkaConnection, type Admin } from '@platformatic/kafka';
import { defaultPayloadConverter } from '@temporalio/common';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkNodeIdentity } from '../../../src/activities/kafka/client-options.ts';
import { upsertScramCredential } from '../../../src/activities/kafka/scram-credentials.ts';
import { certificateFacts, createCa, issue, loadCa } from '../../../src/activities/tls/pki.ts';
import { names } from '../../../src/domain/names.ts';
import { nodeDomain } from '../../../src/domain/tls.ts';
import { clusterWorkflowId, usersWorkflowId } from '../../../src/workflows/messages.ts';
import { minimalSpec } from '../../fixtures/kafka-cluster-specs.ts';
import { adminKubeConfig, env, eventually } from '../../helpers/cluster.ts';
import { expectNothingLost, startSteadyProducer } from '../../helpers/kafka.ts';
import { brokerStarts, clusterEvents, readClusterStatus } from '../../helpers/kafka-cluster.ts';
import {
  clusterName,
  managedCluster,
  provisioned,
  type ManagedCluster,
} from '../../helpers/managed-cluster.ts';
import { closeWithUsers, createKafkaUser, signalUsersWorkflow } from '../../helpers/kafka-users.ts';
import { clientsCaCertificate, podLookup, secretFile, tryAdmin } from '../../helpers/tls-clients.ts';

const ports = { scram: 9092, mtls: 9094, replication: 9091 };
const mainScript = join(import.meta.dirname, '../../../src/main.ts');

describe('a secured cluster', () => {
  const admin = adminKubeConfig();
  const core = admin.makeApiClient(CoreV1Api);
  const custom = admin.makeApiClient(CustomObjectsApi);
  let cluster: ManagedCluster;
  let namespace = '';
  let podIp = '';
  /** The first pod by its DNS name, as a client in the cluster reaches it: what its certificate names. */
  let podHost = '';
  let clusterCa = '';
  let lookup: ReturnType<typeof podLookup>;
  const spec = {
    ...minimalSpec,
    listeners: [
      { name: 'scram', port: ports.scram, tls: true, authentication: { type: 'scram-sha-512' } },
      { name: 'mtls', port: ports.mtls, tls: true, authentication: { type: 'mtls' } },
    ],
    security: { authorization: { type: 'simple', superUsers: ['admin'] } },
  };
  const secret = (name: string, key: string) => secretFile(core, namespace, name, key);
  const userCertificate = (user: string) => clientsCaCertificate(core, namespace, user);
  const tls = (extra: object = {}) => ({ ca: clusterCa, lookup, ...extra });
  const domain = () => nodeDomain({ name: clusterName, namespace, uid: cluster.uid });
  /** keelson, as a user runs it against the local Temporal. */
  const keelson = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        [mainScript, ...args, `--temporal-address=${env.temporal.address}`],
        (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }),
      ),
    );
  /**
   * A replicated topic with an acks=all producer writing to it over TLS; `finish`
   * stops it and checks that no send failed and every acknowledged record is read back.
   */
  const unfinished = new Set<ReturnType<typeof startSteadyProducer>>();
  const underLoad = async (topic: string, client: { tls: object }) => {
    const hosts = (await cluster.pods()).map(
      (p) => `${p.spec?.hostname}.${p.spec?.subdomain}.${namespace}.svc.cluster.local:${ports.mtls}`,
    );
    assert.equal(
      await tryAdmin(hosts[0] ?? '', client, (a) =>
        a.createTopics({
          topics: [topic],
          partitions: 3,
          replicas: 3,
          configs: [{ name: 'min.insync.replicas', value: '2' }],
        }),
      ),
      'connected',
    );
    const producer = startSteadyProducer(hosts, topic, 0, client);
    // A test that fails before finish() must not leave it sending (the file would never end).
    unfinished.add(producer);
    return {
      async finish(): Promise<void> {
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        unfinished.delete(producer);
        await expectNothingLost(producer, hosts, topic, client);
      },
    };
  };
  /** How often each node's broker has started so far; `check` asserts `more` starts since. */
  const brokerStartsNow = async () => {
    const pods = (await cluster.pods()).map((p) => p.metadata?.name ?? '').sort();
    const before = new Map(pods.map((pod) => [pod, brokerStarts(namespace, pod)]));
    return {
      pods,
      check: (more: number) => {
        for (const pod of pods)
          assert.equal(
            brokerStarts(namespace, pod),
            (before.get(pod) ?? 0) + more,
            `${pod}: ${more} restart(s)`,
          );
      },
    };
  };

  before(async () => {
    // A short resync: with no watcher here, the periodic pass is what notices a certificate due.
    cluster = await managedCluster(admin, 'secured', spec, ['--resync-interval=5s']);
    namespace = cluster.namespace;
    await provisioned(admin, cluster);
    const pods = await cluster.pods();
    podIp = pods[0]?.status?.podIP ?? '';
    podHost = `${pods[0]?.spec?.hostname}.${pods[0]?.spec?.subdomain}.${namespace}.svc.cluster.local`;
    lookup = podLookup(pods);
    clusterCa = await secret(names.clusterCa(clusterName), 'ca.crt');
  });
  after(async () => {
    for (const producer of unfinished) await producer.stop().catch(() => undefined);
    await closeWithUsers(cluster);
  });

  it('is Ready with every certificate in a Secret of its own, their expiry in status, and a NetworkPolicy', async () => {
    const status = await readClusterStatus(custom, namespace, clusterName);
    const certificates = status?.certificates ?? [];
    assert.deepEqual(certificates.map((c) => c.kind).sort(), [
      'clients-ca',
      'cluster-ca',
      'node',
      'node',
      'node',
      'operator',
    ]);
    for (const certificate of certificates) {
      const days = (Date.parse(certificate.notAfter) - Date.now()) / 86_400_000;
      assert.ok(days > 364 && days <= 365, `${certificate.secret} valid for ${days} days`);
    }
    const policy = await admin
      .makeApiClient(NetworkingV1Api)
      .readNamespacedNetworkPolicy({ name: names.networkPolicy(clusterName), namespace });
    assert.deepEqual(
      policy.spec?.ingress?.[0]?.ports?.map((p) => p.port),
      [9093, 9091],
      'internal ports',
    );
    assert.equal(policy.spec?.ingress?.[0]?._from?.length, 2, "only the cluster's nodes and Keelson");
    const pods = await cluster.pods();
    for (const pod of pods) {
      const keystore = await secret(names.nodeCertificate(pod.metadata?.name ?? ''), 'node.pem');
      assert.match(keystore, /^-----BEGIN PRIVATE KEY-----/, 'the key first, then the chain');
    }
  });

  it('refuses a plaintext client, a client trusting another CA, an unknown certificate and a wrong password', async () => {
    const stranger = await createCa('stranger', 1);
    const strangerCertificate = await issue(stranger, {
      commonName: 'admin',
      dnsNames: [],
      usage: 'client',
      validityDays: 1,
    });
    const refusals = {
      plaintext: await tryAdmin(`${podIp}:${ports.scram}`, {}),
      'another CA': await tryAdmin(`${podHost}:${ports.mtls}`, {
        tls: { ca: stranger.certificatePem, lookup, ...(await userCertificate('admin')) },
      }),
      'no client certificate': await tryAdmin(`${podHost}:${ports.mtls}`, { tls: tls() }),
      'unknown certificate': await tryAdmin(`${podHost}:${ports.mtls}`, {
        tls: tls({ cert: strangerCertificate.certificatePem, key: strangerCertificate.keyPem }),
      }),
      'wrong password': await tryAdmin(`${podHost}:${ports.scram}`, {
        tls: tls(),
        sasl: { mechanism: 'SCRAM-SHA-512', username: 'bob', password: 'not-his-password' },
      }),
      // A user's certificate is not the cluster CA's: the super users' listener is not for users.
      'user on the replication listener': await tryAdmin(`${podIp}:${ports.replication}`, {
        tls: tls({ ...(await userCertificate('admin')), checkServerIdentity: checkNodeIdentity(domain()) }),
      }),
    };
    for (const [who, outcome] of Object.entries(refusals)) {
      assert.notEqual(outcome, 'connected', `${who} was let in`);
    }
    // Refused by the brokers for the reason each case is about, not by the client on its side.
    assert.match(refusals.plaintext, /Broker requires TLS/);
    assert.match(refusals['another CA'], /self-signed certificate in certificate chain/);
    assert.match(refusals['no client certificate'], /Connection closed|ECONNRESET/);
    assert.match(refusals['unknown certificate'], /Connection closed|ECONNRESET/);
    assert.match(refusals['wrong password'], /SASL authentication failed/);
    assert.match(refusals['user on the replication listener'], /Connection closed|ECONNRESET/);
    // Each differs in one thing from a client let in (the next test): that thing is what was refused.
    assert.equal(
      await tryAdmin(`${podHost}:${ports.mtls}`, { tls: tls(await userCertificate('admin')) }),
      'connected',
    );
  });

  it('lets in a user with a certificate of the clients CA or the right SCRAM password, and denies what no ACL allows', async () => {
    // Keelson's own certificate, on the replication listener, sets bob's password (KafkaUser will).
    const operator = {
      cert: await secret(names.operatorCertificate(clusterName), 'tls.crt'),
      key: await secret(names.operatorCertificate(clusterName), 'tls.key'),
    };
    // As Keelson connects: by pod IP, checking that the certificate names a node of this cluster.
    const connection = new KafkaConnection('keelson-test', {
      tls: tls({
        ...operator,
        checkServerIdentity: checkNodeIdentity(
          nodeDomain({ name: clusterName, namespace, uid: cluster.uid }),
        ),
      }),
    });
    await connection.connect(podIp, ports.replication);
    try {
      await upsertScramCredential(connection, 'bob', 'bobs-password');
    } finally {
      await connection.close();
    }
    const createTopic = (name: string) => (admin: Admin) =>
      admin.createTopics({ topics: [name], partitions: 1, replicas: 3 });
    // The super user named in the spec may do anything.
    assert.equal(
      await tryAdmin(
        `${podHost}:${ports.mtls}`,
        { tls: tls(await userCertificate('admin')) },
        createTopic('by-admin'),
      ),
      'connected',
    );
    // Anyone else gets in, but is denied what no ACL allows.
    assert.match(
      await tryAdmin(
        `${podHost}:${ports.mtls}`,
        { tls: tls(await userCertificate('alice')) },
        createTopic('by-alice'),
      ),
      /authoriz/i,
    );
    const bob = {
      tls: tls(),
      sasl: { mechanism: 'SCRAM-SHA-512' as const, username: 'bob', password: 'bobs-password' },
    };
    // Password is not the password of any request: connecting and listing topics works.
    assert.equal(await tryAdmin(`${podHost}:${ports.scram}`, bob), 'connected');
    assert.match(await tryAdmin(`${podHost}:${ports.scram}`, bob, createTopic('by-bob')), /authoriz/i);
  });

  it('renews a node certificate whose renewal window began while the operator was down, restarting that node once', async () => {
    const pods = (await cluster.pods()).map((p) => p.metadata?.name ?? '').sort();
    const [renewed = '', ...others] = pods;
    const secretName = names.nodeCertificate(renewed);
    const startsBefore = new Map(pods.map((pod) => [pod, brokerStarts(namespace, pod)]));
    await cluster.worker.kill();
    // While the worker is down, the node's certificate comes within 30 days of its end:
    // the same names and CA, valid for 10 more days (as a certificate issued 355 days ago would be).
    const ca = await loadCa(clusterCa, await secret(names.clusterCa(clusterName), 'ca.key'));
    const current = certificateFacts(await secret(secretName, 'tls.crt'));
    const ageing = await issue(ca, {
      commonName: 'KEELSON-NODE',
      dnsNames: current.dnsNames,
      usage: 'server-and-client',
      validityDays: 10,
    });
    const stored = await core.readNamespacedSecret({ name: secretName, namespace });
    const data = { ...stored.data };
    data['tls.crt'] = Buffer.from(ageing.certificatePem).toString('base64');
    data['node.pem'] = Buffer.from(ageing.keyPem + ageing.certificatePem).toString('base64');
    await core.replaceNamespacedSecret({ name: secretName, namespace, body: { ...stored, data } });
    const ageingSerial = certificateFacts(ageing.certificatePem).serial;
    await cluster.worker.start();

    const renewedSerial = await eventually(
      `${renewed} restarted with a renewed certificate`,
      async () => {
        const facts = certificateFacts(await secret(secretName, 'tls.crt'));
        const pod = (await cluster.pods()).find((p) => p.metadata?.name === renewed);
        const status = await readClusterStatus(custom, namespace, clusterName);
        const ready = status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
        return facts.serial !== ageingSerial &&
          pod?.metadata?.annotations?.['keelson.dev/certificates']?.startsWith(`${facts.serial}/`) &&
          ready
          ? facts.serial
          : undefined;
      },
      180_000,
      1_000,
    );
    const renewedFacts = certificateFacts(await secret(secretName, 'tls.crt'));
    assert.ok(renewedFacts.notAfterMs - Date.now() > 364 * 86_400_000, 'valid for a year again');
    const status = await readClusterStatus(custom, namespace, clusterName);
    assert.equal(status?.observedGeneration, 1, 'no spec change');
    assert.equal(status?.certificates?.find((c) => c.pod === renewed)?.serial, renewedSerial);
    assert.equal(brokerStarts(namespace, renewed), (startsBefore.get(renewed) ?? 0) + 1, 'restarted once');
    for (const pod of others)
      assert.equal(brokerStarts(namespace, pod), startsBefore.get(pod), `${pod} untouched`);
    const events = await clusterEvents(admin.makeApiClient(EventsV1Api), namespace, clusterName);
    assert.ok(
      events.some(
        (e) =>
          e.reason === 'CertificateRenewed' && e.note.includes(secretName) && /due for renewal/.test(e.note),
      ),
      'a CertificateRenewed Event says why',
    );
    // The renewed node serves clients with its new certificate.
    assert.equal(
      await tryAdmin(`${podHost}:${ports.mtls}`, { tls: tls(await userCertificate('admin')) }),
      'connected',
    );
  });

  it('rotates every node certificate on request while a TLS producer (acks=all) and a consumer run: nothing acknowledged is lost', async () => {
    const starts = await brokerStartsNow();
    const pods = starts.pods;
    const serialsBefore = new Map<string, string>();
    for (const pod of pods)
      serialsBefore.set(pod, certificateFacts(await secret(names.nodeCertificate(pod), 'tls.crt')).serial);
    const superUser = { tls: tls(await userCertificate('admin')) };
    const load = await underLoad('rotation', superUser);
    const cli = await keelson('certs', 'rotate', `${namespace}/${clusterName}`, '--reason', 'test');
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /certificate rotation accepted/);

    await eventually(
      'every node restarted onto a new certificate, and the cluster Ready',
      async () => {
        for (const pod of pods) {
          const serial = certificateFacts(await secret(names.nodeCertificate(pod), 'tls.crt')).serial;
          const running = (await cluster.pods()).find((p) => p.metadata?.name === pod);
          if (serial === serialsBefore.get(pod)) return undefined;
          if (!running?.metadata?.annotations?.['keelson.dev/certificates']?.startsWith(`${serial}/`))
            return undefined;
        }
        const status = await readClusterStatus(custom, namespace, clusterName);
        return status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' &&
          status.currentOperation === undefined
          ? true
          : undefined;
      },
      300_000,
      1_000,
    );
    await load.finish();
    starts.check(1);
    const events = await clusterEvents(admin.makeApiClient(EventsV1Api), namespace, clusterName);
    assert.equal(
      events.filter((e) => e.reason === 'CertificateRenewed' && /rotation asked for/.test(e.note)).length,
      pods.length + 1,
      "each node certificate and Keelson's own, once",
    );
  });

  it('renews the cluster CA in three phases while a TLS producer and a consumer run, with the worker SIGKILLed at each phase', async () => {
    const caSecret = names.clusterCa(clusterName);
    const readCa = () => core.readNamespacedSecret({ name: caSecret, namespace });
    const oldCa = await secret(caSecret, 'ca.crt');
    const starts = await brokerStartsNow();
    const pods = starts.pods;
    // A client trusting the cluster CA as its user Secret gives it: the old CA, then both, then the new one.
    const clientTls = tls(await userCertificate('admin')) as { ca: string };
    const superUser = { tls: clientTls };
    // A KafkaUser, whose Secret gives clients the CAs to trust.
    await createKafkaUser(custom, namespace, 'bob', { authentication: { type: 'scram-sha-512' } });
    await signalUsersWorkflow(cluster);
    await eventually("bob's Secret", async () =>
      (await secret('bob', 'ca.crt').catch(() => undefined)) === oldCa ? true : undefined,
    );
    const load = await underLoad('ca-renewal', superUser);
    const cli = await keelson('certs', 'rotate', `${namespace}/${clusterName}`, '--ca');
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /cluster CA renewal accepted/);

    // Each phase, once seen: the worker is killed (SIGKILL) and started again.
    const phasesSeen: string[] = [];
    let kills = 0;
    await eventually(
      'the CA renewal through its three phases and finished',
      async () => {
        const stored = await readCa();
        const phase = stored.metadata?.annotations?.['keelson.dev/ca-renewal-phase'];
        const next = stored.data?.['next.crt'];
        if (next) clientTls.ca = oldCa + Buffer.from(next, 'base64').toString('utf8');
        if (phase && !phasesSeen.includes(phase)) {
          phasesSeen.push(phase);
          await cluster.worker.kill('SIGKILL');
          kills++;
          await cluster.worker.start();
        }
        const current = Buffer.from(stored.data?.['ca.crt'] ?? '', 'base64').toString('utf8');
        if (phase || current === oldCa || stored.data?.['previous.crt'] || next) return undefined;
        clientTls.ca = current;
        const status = await readClusterStatus(custom, namespace, clusterName);
        return status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' && !status.caRenewal
          ? true
          : undefined;
      },
      600_000,
      500,
    );
    assert.deepEqual(phasesSeen, ['trust-new', 'reissue', 'drop-old']);
    assert.equal(kills, 3);
    const newCa = await secret(caSecret, 'ca.crt');
    for (const pod of pods) {
      const nodeSecret = names.nodeCertificate(pod);
      assert.ok(
        certificateFacts(await secret(nodeSecret, 'tls.crt')).signedBy(newCa),
        `${pod}: signed by the new CA`,
      );
      assert.equal(await secret(nodeSecret, 'ca.crt'), newCa, `${pod}: trusts only the new CA`);
    }
    assert.ok(
      certificateFacts(await secret(names.operatorCertificate(clusterName), 'tls.crt')).signedBy(newCa),
    );
    await eventually("bob's Secret trusting the new CA alone", async () =>
      (await secret('bob', 'ca.crt')) === newCa ? true : undefined,
    );
    await load.finish();
    starts.check(3);
    const events = await clusterEvents(admin.makeApiClient(EventsV1Api), namespace, clusterName);
    assert.equal(
      events.filter((e) => e.reason === 'CertificateAuthorityRenewal').length,
      4,
      'three phases and the end',
    );
    // Keelson still reaches the cluster with its own (renewed) certificate.
    clusterCa = newCa;
  });

  it('keeps every private key out of the Temporal histories of its workflows', async () => {
    const keys: string[] = [];
    for (const [name, key] of [
      [names.clusterCa(clusterName), 'ca.key'],
      [names.clientsCa(clusterName), 'ca.key'],
      [names.operatorCertificate(clusterName), 'tls.key'],
      ...(await cluster.pods()).map((p) => [names.nodeCertificate(p.metadata?.name ?? ''), 'node.pem']),
    ] as [string, string][]) {
      const pem = await secret(name, key);
      const body = /-----BEGIN PRIVATE KEY-----\s+([A-Za-z0-9+/=\s]+?)-----END/
        .exec(pem)?.[1]
        ?.replace(/\s/g, '');
      assert.ok(body, `${name} holds a key`);
      keys.push(body);
    }
    const seen = new Set<string>();
    const pending = [clusterWorkflowId(namespace, clusterName), usersWorkflowId(namespace, clusterName)];
    let scanned = 0;
    while (pending.length > 0) {
      const workflowId = pending.pop() ?? '';
      if (seen.has(workflowId)) continue;
      seen.add(workflowId);
      const history = await cluster.client.workflow.getHandle(workflowId).fetchHistory();
      const text = historyText(history);
      scanned += text.length;
      assert.doesNotMatch(text, /PRIVATE KEY/, `a PEM key in ${workflowId}`);
      for (const key of keys) {
        // Any 40 characters of a key's base64, and the key in the base64 a Secret stores it in.
        for (const sample of [key.slice(0, 40), key.slice(-60, -20)])
          assert.ok(!text.includes(sample), `key material in ${workflowId}`);
        assert.ok(
          !text.includes(Buffer.from(key).toString('base64').slice(0, 40)),
          `key material in ${workflowId}`,
        );
      }
      for (const event of history.events ?? []) {
        const child = event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
        if (child) pending.push(child);
      }
    }
    assert.ok(seen.size >= 2, `scanned the cluster workflow and its children (${[...seen].join(', ')})`);
    assert.ok(scanned > 10_000, `${scanned} characters of history scanned`);
  });
});

/** Every payload of a history as text, decoded, with the rest of the events as JSON. */
function historyText(history: unknown): string {
  return JSON.stringify(history, (_key, value: unknown) => {
    if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
    if (value && typeof value === 'object' && 'metadata' in value && 'data' in value) {
      try {
        return JSON.stringify(defaultPayloadConverter.fromPayload(value as never));
      } catch {
        return value;
      }
    }
    return value;
  });
}
