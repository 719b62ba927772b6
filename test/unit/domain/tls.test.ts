import type { NetworkPolicy } from '../../../src/domain/manifests/network-policy.ts';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KafkaClusterSpec, type KafkaClusterSpecInput } from '../../../src/crd/kafka-cluster.ts';
import { caRenewalAction, expiringAuthorities, reissueReason } from '../../../src/domain/certificates.ts';
import { buildClusterManifests } from '../../../src/domain/manifests/index.ts';
import { names } from '../../../src/domain/names.ts';
import { assignNodeIdBases, planNodes } from '../../../src/domain/nodes.ts';
import { nodeDnsNames, operatorPort, operatorTls, principals } from '../../../src/domain/tls.ts';
import { parseProperties } from '../../../tools/testenv/node-agent/kafka-config.ts';
import { minimalSpec } from '../../fixtures/kafka-cluster-specs.ts';

const cluster = { name: 'orders', namespace: 'team', uid: '0f8fad5b-d9cb-469f-a165-70867728950e' };

const secured: KafkaClusterSpecInput = {
  ...minimalSpec,
  listeners: [
    { name: 'plain', port: 9092 },
    { name: 'scram', port: 9095, tls: true, authentication: { type: 'scram-sha-512' } },
    { name: 'mtls', port: 9094, tls: true, authentication: { type: 'mtls' } },
  ],
  security: { authorization: { type: 'simple', superUsers: ['admin'] } },
};

function build(input: KafkaClusterSpecInput) {
  const spec = KafkaClusterSpec.parse(input);
  const nodes = planNodes(cluster.name, spec, assignNodeIdBases(spec.nodePools, {}));
  const manifests = buildClusterManifests(cluster, spec, nodes);
  const properties = parseProperties(manifests.configMap.data?.['server.properties'] ?? '');
  const env = (pod = 0) =>
    Object.fromEntries(
      (manifests.pods[pod]?.spec?.containers[0]?.env ?? []).map((e) => [e.name, e.value ?? '']),
    );
  return { spec, nodes, manifests, properties, env };
}

describe('a secured cluster', () => {
  it('runs the controller quorum and replication over mutual TLS on listeners of their own', () => {
    const { properties, env } = build(secured);
    assert.equal(
      properties.get('listener.security.protocol.map'),
      'CONTROLLER:SSL,REPLICATION:SSL,PLAIN:PLAINTEXT,SCRAM:SASL_SSL,MTLS:SSL',
    );
    assert.equal(properties.get('inter.broker.listener.name'), 'REPLICATION');
    assert.equal(properties.get('listener.name.controller.ssl.client.auth'), 'required');
    assert.equal(properties.get('listener.name.replication.ssl.client.auth'), 'required');
    assert.equal(properties.get('ssl.keystore.type'), 'PEM');
    assert.equal(properties.get('ssl.keystore.location'), '/etc/kafka/tls/node.pem');
    assert.equal(properties.get('ssl.truststore.location'), '/etc/kafka/tls/ca.crt');
    assert.match(
      env().KAFKA_LISTENERS ?? '',
      /^REPLICATION:\/\/\$\(POD_IP\):9091,PLAIN:\/\/\$\(POD_IP\):9092,/,
    );
  });

  it('checks client certificates of mtls listeners against the clients CA, and asks SCRAM on scram listeners', () => {
    const { properties } = build(secured);
    assert.equal(properties.get('listener.name.mtls.ssl.client.auth'), 'required');
    assert.equal(
      properties.get('listener.name.mtls.ssl.truststore.location'),
      '/etc/kafka/tls/clients-ca.crt',
    );
    assert.equal(properties.get('listener.name.scram.sasl.enabled.mechanisms'), 'SCRAM-SHA-512');
    assert.match(
      properties.get('listener.name.scram.scram-sha-512.sasl.jaas.config') ?? '',
      /ScramLoginModule required;$/,
    );
    assert.equal(properties.get('listener.name.plain.ssl.client.auth'), undefined);
  });

  it('denies by default: only the nodes, Keelson and the named super users are super users', () => {
    const { properties } = build(secured);
    assert.equal(
      properties.get('authorizer.class.name'),
      'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    );
    assert.equal(properties.get('super.users'), 'User:KEELSON-NODE;User:KEELSON-OPERATOR;User:admin');
    assert.equal(properties.get('allow.everyone.if.no.acl.found'), undefined, "Kafka's default, false");
    // Lowercase Kubernetes names can never be the cluster's own principals.
    for (const principal of Object.values(principals)) assert.notEqual(principal, principal.toLowerCase());
  });

  it('advertises TLS listeners by DNS name, which the node certificate names, and the others by pod IP', () => {
    const { env, nodes } = build(secured);
    const host = `${nodes[0]?.podName}.${names.headlessService('orders')}.team.svc.cluster.local`;
    assert.equal(
      env().KAFKA_ADVERTISED_LISTENERS,
      `REPLICATION://$(POD_IP):9091,PLAIN://$(POD_IP):9092,SCRAM://${host}:9095,MTLS://${host}:9094`,
    );
    assert.ok(nodeDnsNames(cluster, nodes[0]!).includes(host));
    assert.ok(nodeDnsNames(cluster, nodes[0]!).includes('orders-bootstrap.team.svc'));
  });

  it("mounts each node's own certificate Secret only", () => {
    const { manifests } = build(secured);
    const secrets = manifests.pods.map(
      (pod) => pod.spec?.volumes?.find((v) => v.name === 'tls')?.secret?.secretName,
    );
    assert.deepEqual(
      secrets,
      manifests.pods.map((pod) => names.nodeCertificate(pod.metadata?.name ?? '')),
    );
  });

  it('is reached by Keelson on the replication listener with its own certificate', () => {
    const { spec } = build(secured);
    assert.equal(operatorPort(spec), 9091);
    assert.deepEqual(operatorTls(cluster, spec), {
      namespace: 'team',
      secret: 'orders-keelson-client',
      nodeDomain: '.orders-nodes.team.svc.cluster.local',
    });
  });
});

describe("a secured cluster's NetworkPolicy", () => {
  it('admits the controller and replication ports from its nodes and Keelson, the listeners also from its namespace', () => {
    const { manifests } = build({ ...secured, security: { networkPolicy: { clientNamespaces: ['apps'] } } });
    const policy = manifests.shared.find((o) => o.kind === 'NetworkPolicy') as NetworkPolicy;
    assert.deepEqual(policy.spec?.podSelector?.matchLabels, { 'keelson.dev/cluster': 'orders' });
    const [internal, clients] = policy.spec?.ingress ?? [];
    assert.deepEqual(
      internal?.ports?.map((p) => p.port),
      [9093, 9091],
    );
    assert.deepEqual(
      internal?.from.map((p) => p.podSelector?.matchLabels),
      [{ 'keelson.dev/cluster': 'orders' }, { 'app.kubernetes.io/name': 'keelson' }],
    );
    assert.deepEqual(
      clients?.ports?.map((p) => p.port),
      [9092, 9095, 9094],
    );
    assert.deepEqual(
      clients?.from.slice(2).map((p) => p.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name']),
      ['team', 'apps'],
    );
  });

  it('is not made for a cluster without security, nor when disabled', () => {
    assert.equal(
      build(minimalSpec).manifests.shared.some((o) => o.kind === 'NetworkPolicy'),
      false,
    );
    const disabled = build({ ...secured, security: { networkPolicy: { enabled: false } } });
    assert.equal(
      disabled.manifests.shared.some((o) => o.kind === 'NetworkPolicy'),
      false,
    );
  });
});

describe('a cluster without security', () => {
  it('keeps its plaintext config, listeners and pods exactly as before', () => {
    const { properties, env, manifests, spec } = build(minimalSpec);
    assert.equal(properties.get('listener.security.protocol.map'), 'CONTROLLER:PLAINTEXT,PLAIN:PLAINTEXT');
    assert.equal(properties.get('inter.broker.listener.name'), 'PLAIN');
    assert.equal(
      [...properties.keys()].some((k) => k.startsWith('ssl.')),
      false,
    );
    assert.equal(env().KAFKA_ADVERTISED_LISTENERS, 'PLAIN://$(POD_IP):9092');
    assert.deepEqual(
      manifests.pods[0]?.spec?.volumes?.map((v) => v.name),
      ['data', 'config'],
    );
    assert.equal(operatorTls(cluster, spec), null);
    assert.equal(operatorPort(spec), 9092);
  });
});

describe('when a certificate is issued again', () => {
  const now = Date.parse('2026-11-30T00:00:00Z');
  const day = 86_400_000;
  const found = { notAfterMs: now + 40 * day, dnsNames: ['a.example', 'b.example'], signedByCurrentCa: true };
  const wanted = (dnsNames: string[] = []) => ({ dnsNames, renewalDays: 30, caNotAfterMs: now + 365 * day });
  it('keeps a certificate of the current CA naming every host, until its renewal window', () => {
    assert.equal(reissueReason(found, wanted(['a.example']), now), undefined);
    assert.equal(reissueReason(found, wanted(), now + 10 * day - 1), undefined);
    assert.match(
      reissueReason(found, wanted(), now + 10 * day) ?? '',
      /^due for renewal \(expires at 2027-01-09/,
    );
  });
  it('does not renew a certificate that already ends with its CA: a new one could not end later', () => {
    const endsWithCa = { ...found, notAfterMs: now + 20 * day };
    assert.equal(reissueReason(endsWithCa, { ...wanted(), caNotAfterMs: now + 20 * day }, now), undefined);
    assert.match(
      reissueReason(
        { ...endsWithCa, notAfterMs: now + 10 * day },
        { ...wanted(), caNotAfterMs: now + 20 * day },
        now,
      ) ?? '',
      /^due for renewal/,
    );
  });

  it('issues a missing one, one of another CA, an expired one and one missing a name', () => {
    assert.equal(reissueReason(undefined, wanted(), now), 'none issued yet');
    assert.equal(
      reissueReason({ ...found, signedByCurrentCa: false }, wanted(), now),
      'not signed by the current CA',
    );
    assert.match(reissueReason({ ...found, notAfterMs: now }, wanted(), now) ?? '', /^expired at/);
    assert.equal(reissueReason(found, wanted(['a.example', 'c.example']), now), 'does not name c.example');
  });
});

describe('CAs about to expire', () => {
  it('are the CAs inside their renewal window, not the leaf certificates', () => {
    const now = Date.parse('2026-11-30T00:00:00Z');
    const certificates = [
      { kind: 'cluster-ca', notAfter: '2026-12-20T00:00:00Z' },
      { kind: 'clients-ca', notAfter: '2026-12-20T00:00:00Z' },
      { kind: 'node', notAfter: '2026-12-01T00:00:00Z' },
    ];
    assert.deepEqual(
      expiringAuthorities(certificates, { 'cluster-ca': 30, 'clients-ca': 10 }, now).map((c) => c.kind),
      ['cluster-ca'],
    );
  });
});

describe('a CA renewal', () => {
  it('starts when wanted, and moves to its next phase only once every node runs the current one', () => {
    assert.equal(caRenewalAction(undefined, { wanted: false, allNodesCurrent: true }), 'none');
    assert.equal(caRenewalAction(undefined, { wanted: true, allNodesCurrent: false }), 'start');
    for (const phase of ['trust-new', 'reissue', 'drop-old'] as const)
      assert.equal(caRenewalAction(phase, { wanted: true, allNodesCurrent: false }), 'none', phase);
    assert.equal(caRenewalAction('trust-new', { wanted: false, allNodesCurrent: true }), 'promote');
    assert.equal(caRenewalAction('reissue', { wanted: false, allNodesCurrent: true }), 'drop-previous');
    assert.equal(caRenewalAction('drop-old', { wanted: true, allNodesCurrent: true }), 'finish');
  });
});
