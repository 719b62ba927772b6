import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { certificateFacts, createCa, issue, loadCa } from '../../../src/activities/tls/pki.ts';

describe('certificates Keelson makes', () => {
  it('signs a node certificate for server and client use, naming its hosts, chained to the CA', async () => {
    const ca = await createCa('team/orders cluster-ca', 365);
    const node = await issue(ca, {
      commonName: 'KEELSON-NODE',
      dnsNames: ['orders-combined-0.orders-nodes.team.svc.cluster.local', 'orders-bootstrap.team.svc'],
      usage: 'server-and-client',
      validityDays: 30,
    });
    const leaf = new X509Certificate(node.certificatePem);
    const caCertificate = new X509Certificate(ca.certificatePem);
    assert.ok(leaf.checkIssued(caCertificate) && leaf.verify(caCertificate.publicKey));
    assert.equal(leaf.subject, 'CN=KEELSON-NODE');
    assert.equal(leaf.ca, false);
    assert.ok(caCertificate.ca);
    assert.deepEqual(leaf.keyUsage?.sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    assert.match(node.keyPem, /^-----BEGIN PRIVATE KEY-----\n[^-]+\n-----END PRIVATE KEY-----\n$/);
    assert.ok(leaf.checkPrivateKey((await import('node:crypto')).createPrivateKey(node.keyPem)));
    // The chain ends with the CA, as Kafka's PEM keystore expects it.
    assert.equal(node.certificatePem.match(/BEGIN CERTIFICATE/g)?.length, 2);
    const facts = certificateFacts(node.certificatePem);
    assert.deepEqual(facts.dnsNames, [
      'orders-combined-0.orders-nodes.team.svc.cluster.local',
      'orders-bootstrap.team.svc',
    ]);
    assert.ok(Math.abs(facts.notAfterMs - (Date.now() + 30 * 86_400_000)) < 120_000);
    assert.ok(facts.signedBy(ca.certificatePem));
    assert.equal(facts.signedBy((await createCa('other', 365)).certificatePem), false);
  });

  it('never issues a certificate valid beyond its CA', async () => {
    const ca = await createCa('short', 2);
    const leaf = await issue(ca, { commonName: 'x', dnsNames: [], usage: 'client', validityDays: 365 });
    assert.equal(certificateFacts(leaf.certificatePem).notAfterMs, ca.certificate.notAfter.getTime());
  });

  it('reads back a CA it made, and refuses a key that is not the certificate’s', async () => {
    const ca = await createCa('one', 10);
    const other = await createCa('two', 10);
    const loaded = await loadCa(ca.certificatePem, ca.keyPem);
    assert.equal(loaded.certificate.subject, 'CN=one');
    await assert.rejects(loadCa(ca.certificatePem, other.keyPem), /not the key of ca.crt/);
  });
});
