// KafkaUsers of a secured cluster on the real API server, Temporal and Kafka
// brokers, reconciled by the cluster's users workflow (signalled here as the
// watcher would): a SCRAM user and a TLS user get their Secrets, may do what
// their ACLs allow and nothing else, a quota is in force, a rotation asked
// for changes the password, and deleting a user removes its credential,
// ACLs and quotas. Bad KafkaUsers are refused at admission.
import {
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import {
  AclOperations,
  AclPermissionTypes,
  ClientQuotaMatchTypes,
  ResourcePatternTypes,
  ResourceTypes,
} from '@platformatic/kafka';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { group, userPlural, version } from '../../../src/crd/kafka-user.ts';
import { names } from '../../../src/domain/names.ts';
import { rotateCredentialsAnnotation, userFinalizer } from '../../../src/domain/kafka-users.ts';
import { minimalSpec } from '../../fixtures/kafka-cluster-specs.ts';
import { adminKubeConfig, eventually } from '../../helpers/cluster.ts';
import { apiErrorMessage } from '../../helpers/crd.ts';
import { clusterEvents, readClusterStatus } from '../../helpers/kafka-cluster.ts';
import {
  clusterName,
  managedCluster,
  provisioned,
  type ManagedCluster,
} from '../../helpers/managed-cluster.ts';
import { closeWithUsers, createKafkaUser, signalUsersWorkflow } from '../../helpers/kafka-users.ts';
import { podLookup, secretFile, tryAdmin, tryProduce } from '../../helpers/tls-clients.ts';
import { certificateFacts, createCa, issue, loadCa } from '../../../src/activities/tls/pki.ts';

const ports = { scram: 9092, mtls: 9094, external: 9097 };
const ownClientsCa = 'our-clients-ca';

describe('KafkaUsers', () => {
  const admin = adminKubeConfig();
  const core = admin.makeApiClient(CoreV1Api);
  const custom = admin.makeApiClient(CustomObjectsApi);
  let cluster: ManagedCluster;
  let namespace = '';
  let host = '';
  let ownCaPem = '';
  let tls: (extra?: object) => object;
  const secret = (name: string, key: string) => secretFile(core, namespace, name, key);
  const user = (name: string, spec: Record<string, unknown>) =>
    createKafkaUser(custom, namespace, name, spec);
  const readUser = (name: string) =>
    custom
      .getNamespacedCustomObject({ group, version, namespace, plural: userPlural, name })
      .then(
        (u) =>
          u as {
            metadata: { finalizers?: string[] };
            status?: { conditions?: { type: string; status: string; message: string }[]; secret?: string };
          },
      )
      .catch((err: { code?: number }) => (err.code === 404 ? undefined : Promise.reject(err)));
  const ready = (name: string) =>
    eventually(
      `KafkaUser ${name} Ready`,
      async () => {
        const u = await readUser(name);
        return u?.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True') ? u : undefined;
      },
      60_000,
      500,
    );
  /** Wakes the users workflow as the watcher does on any KafkaUser event. */
  const signalUsers = () => signalUsersWorkflow(cluster, 5_000);
  const scram = (username: string, password: string) => ({
    tls: tls(),
    sasl: { mechanism: 'SCRAM-SHA-512' as const, username, password },
  });
  const superUser = async () => {
    const ca = await loadCa(await secret(ownClientsCa, 'ca.crt'), await secret(ownClientsCa, 'ca.key'));
    const pair = await issue(ca, { commonName: 'admin', dnsNames: [], usage: 'client', validityDays: 1 });
    return { tls: tls({ cert: pair.certificatePem, key: pair.keyPem }) };
  };
  before(async () => {
    cluster = await managedCluster(admin, 'users', {
      ...minimalSpec,
      listeners: [
        { name: 'scram', port: ports.scram, tls: true, authentication: { type: 'scram-sha-512' } },
        { name: 'mtls', port: ports.mtls, tls: true, authentication: { type: 'mtls' } },
        // Clients outside Kubernetes: TLS to each broker's load balancer address, which its certificate names.
        {
          name: 'ext',
          port: ports.external,
          tls: true,
          type: 'loadbalancer',
          authentication: { type: 'scram-sha-512' },
        },
      ],
      security: {
        authorization: { type: 'simple', superUsers: ['admin'] },
        // A clients CA of our own, 20 days from its end: inside the 30-day window, so Keelson warns.
        clientsCa: { secretName: ownClientsCa },
      },
    });
    namespace = cluster.namespace;
    const mine = await createCa('our own clients CA', 20);
    const data = { 'ca.crt': mine.certificatePem, 'ca.key': mine.keyPem };
    await core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: ownClientsCa },
        data: Object.fromEntries(
          Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
        ),
      },
    });
    ownCaPem = mine.certificatePem;
    await provisioned(admin, cluster);
    const pods = await cluster.pods();
    host = `${pods[0]?.spec?.hostname}.${pods[0]?.spec?.subdomain}.${namespace}.svc.cluster.local`;
    const lookup = podLookup(pods);
    const clusterCa = await secret(names.clusterCa(clusterName), 'ca.crt');
    tls = (extra = {}) => ({ ca: clusterCa, lookup, ...extra });
    const created = await tryAdmin(`${host}:${ports.mtls}`, await superUser(), (a) =>
      a.createTopics({ topics: ['orders', 'payments'], partitions: 1, replicas: 3 }),
    );
    assert.equal(created, 'connected');
  });
  after(async () => {
    await closeWithUsers(cluster);
  });

  it('refuses bad KafkaUsers at admission, naming the field', async () => {
    const refused = async (name: string, spec: Record<string, unknown>) =>
      apiErrorMessage(
        await user(name, spec).then(
          () => assert.fail(`${name} was accepted`),
          (err: unknown) => err,
        ),
      );
    assert.match(await refused('Upper', { authentication: { type: 'tls' } }), /metadata.name/);
    assert.match(
      await refused('no-auth', { authentication: { type: 'kerberos' } }),
      /spec.authentication.type/,
    );
    assert.match(
      await refused('cluster-acl', {
        authentication: { type: 'tls' },
        authorization: { acls: [{ resource: { type: 'cluster', name: 'x' }, operations: ['Alter'] }] },
      }),
      /a cluster ACL names no resource/,
    );
    assert.match(
      await refused('bad-op', {
        authentication: { type: 'tls' },
        authorization: { acls: [{ resource: { type: 'topic', name: 'orders' }, operations: ['Fly'] }] },
      }),
      /operations/,
    );
    assert.match(
      await refused('tiny-quota', { authentication: { type: 'tls' }, quotas: { producerByteRate: 1 } }),
      /producerByteRate/,
    );
  });

  it('gives a SCRAM user and a TLS user their credentials, their ACLs and nothing more, and a quota', async () => {
    await user('alice', {
      authentication: { type: 'scram-sha-512' },
      authorization: {
        acls: [{ resource: { type: 'topic', name: 'orders' }, operations: ['Write', 'Describe'] }],
      },
      quotas: { producerByteRate: 1_048_576, consumerByteRate: 2_097_152 },
    });
    await user('carol', {
      authentication: { type: 'tls' },
      authorization: {
        acls: [
          {
            resource: { type: 'topic', name: 'ord', patternType: 'prefixed' },
            operations: ['Read', 'Describe'],
          },
        ],
      },
    });
    await signalUsers();
    const alice = await ready('alice');
    await ready('carol');
    assert.equal(alice.status?.secret, 'alice');
    assert.ok(alice.metadata.finalizers?.includes(userFinalizer));
    const password = await secret('alice', 'password');
    assert.equal(password.length, 32);
    assert.match(await secret('alice', 'sasl.jaas.config'), /username="alice"/);

    assert.equal(await tryProduce(`${host}:${ports.scram}`, scram('alice', password), 'orders'), 'connected');
    assert.match(
      await tryProduce(`${host}:${ports.scram}`, scram('alice', password), 'payments'),
      /authoriz/i,
    );
    // From outside, through the TLS load balancer listener, knowing only its bootstrap address:
    // every broker's certificate names its load balancer address, so the client's name check passes.
    const external = (await readClusterStatus(custom, namespace, clusterName))?.externalListeners?.find(
      (l) => l.name === 'ext',
    );
    assert.match(external?.bootstrap ?? '', /^127\.251\.0\.\d+:9097$/);
    assert.equal(
      await tryProduce(external?.bootstrap ?? '', scram('alice', password), 'orders'),
      'connected',
    );
    assert.match(
      await tryProduce(external?.bootstrap ?? '', scram('alice', 'not-her-password'), 'orders'),
      /authenticat|SASL/i,
    );

    const carol = {
      tls: tls({ cert: await secret('carol', 'user.crt'), key: await secret('carol', 'user.key') }),
    };
    let visible: string[] = [];
    assert.equal(
      await tryAdmin(`${host}:${ports.mtls}`, carol, async (a) => (visible = await a.listTopics())),
      'connected',
    );
    assert.deepEqual(visible.sort(), ['orders'], 'carol sees only what her prefixed ACL names');
    assert.match(await tryProduce(`${host}:${ports.mtls}`, carol, 'orders'), /authoriz/i);

    // carol's certificate is signed by the clients CA we provide, which Keelson left as it was.
    assert.ok(certificateFacts(await secret('carol', 'user.crt')).signedBy(ownCaPem));
    assert.equal(await secret(ownClientsCa, 'ca.crt'), ownCaPem);
    const events = await clusterEvents(admin.makeApiClient(EventsV1Api), namespace, clusterName);
    assert.ok(
      events.some(
        (e) =>
          e.reason === 'CertificateAuthorityExpiring' &&
          e.note.includes(ownClientsCa) &&
          /never replaces a CA you provide/.test(e.note),
      ),
      'a Warning that the CA we provide is about to expire',
    );
    const status = await readClusterStatus(custom, namespace, clusterName);
    assert.ok(status?.certificates?.some((c) => c.secret === ownClientsCa && c.userProvided));

    let quotas: { key: string; value: number }[] = [];
    await tryAdmin(`${host}:${ports.mtls}`, await superUser(), async (a) => {
      const entries = await a.describeClientQuotas({
        components: [{ entityType: 'user', matchType: ClientQuotaMatchTypes.EXACT, match: 'alice' }],
      });
      quotas = entries.flatMap((e) => e.values);
    });
    assert.deepEqual(Object.fromEntries(quotas.map((q) => [q.key, q.value])), {
      producer_byte_rate: 1_048_576,
      consumer_byte_rate: 2_097_152,
    });
  });

  it("renews a TLS user's certificate inside its renewal window", async () => {
    // carol's certificate as it would be 355 days after issue: valid 10 more days, inside the 30-day window.
    const ca = await loadCa(ownCaPem, await secret(ownClientsCa, 'ca.key'));
    const ageing = await issue(ca, { commonName: 'carol', dnsNames: [], usage: 'client', validityDays: 10 });
    const stored = await core.readNamespacedSecret({ name: 'carol', namespace });
    const data = { ...stored.data };
    data['user.crt'] = Buffer.from(ageing.certificatePem).toString('base64');
    data['user.key'] = Buffer.from(ageing.keyPem).toString('base64');
    await core.replaceNamespacedSecret({ name: 'carol', namespace, body: { ...stored, data } });
    const ageingSerial = certificateFacts(ageing.certificatePem).serial;
    await signalUsers();
    const renewed = await eventually('carol renewed', async () => {
      const facts = certificateFacts(await secret('carol', 'user.crt'));
      return facts.serial !== ageingSerial ? facts : undefined;
    });
    // As long as the CA allows: our CA ends in 20 days, and no certificate outlives its CA.
    assert.equal(
      renewed.notAfterMs,
      (await loadCa(ownCaPem, await secret(ownClientsCa, 'ca.key'))).certificate.notAfter.getTime(),
    );
    assert.ok(renewed.signedBy(ownCaPem));
    // Ending with its CA, it is not renewed again at every pass.
    await signalUsers();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    assert.equal(certificateFacts(await secret('carol', 'user.crt')).serial, renewed.serial);
    const carol = {
      tls: tls({ cert: await secret('carol', 'user.crt'), key: await secret('carol', 'user.key') }),
    };
    assert.equal(await tryAdmin(`${host}:${ports.mtls}`, carol), 'connected');
  });

  it('gives a user a new password when asked, and the old one stops working', async () => {
    const before = await secret('alice', 'password');
    await custom.patchNamespacedCustomObject(
      {
        group,
        version,
        namespace,
        plural: userPlural,
        name: 'alice',
        body: { metadata: { annotations: { [rotateCredentialsAnnotation]: 'first' } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await signalUsers();
    const after = await eventually('a new password', async () => {
      const now = await secret('alice', 'password');
      return now !== before ? now : undefined;
    });
    await eventually('the new password accepted', async () =>
      (await tryAdmin(`${host}:${ports.scram}`, scram('alice', after))) === 'connected' ? true : undefined,
    );
    assert.notEqual(await tryAdmin(`${host}:${ports.scram}`, scram('alice', before)), 'connected');
  });

  it('removes the credential, ACLs and quotas of a deleted user before it goes', async () => {
    const password = await secret('alice', 'password');
    await custom.deleteNamespacedCustomObject({
      group,
      version,
      namespace,
      plural: userPlural,
      name: 'alice',
    });
    await signalUsers();
    await eventually(
      'alice gone',
      async () => ((await readUser('alice')) === undefined ? true : undefined),
      60_000,
      500,
    );
    assert.notEqual(await tryAdmin(`${host}:${ports.scram}`, scram('alice', password)), 'connected');
    let acls = -1;
    let quotas = -1;
    await tryAdmin(`${host}:${ports.mtls}`, await superUser(), async (a) => {
      const described = await a.describeAcls({
        filter: {
          resourceType: ResourceTypes.ANY,
          resourceName: null,
          resourcePatternType: ResourcePatternTypes.ANY,
          principal: 'User:alice',
          host: null,
          operation: AclOperations.ANY,
          permissionType: AclPermissionTypes.ANY,
        },
      });
      acls = described.flatMap((r) => r.acls).length;
      quotas = (
        await a.describeClientQuotas({
          components: [{ entityType: 'user', matchType: ClientQuotaMatchTypes.EXACT, match: 'alice' }],
        })
      ).length;
    });
    assert.equal(acls, 0, 'no ACL of alice left');
    assert.equal(quotas, 0, 'no quota of alice left');
    // carol is untouched.
    assert.ok(await readUser('carol').then((u) => u?.status?.conditions?.some((c) => c.status === 'True')));
  });
});
