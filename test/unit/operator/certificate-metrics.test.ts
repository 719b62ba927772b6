import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recordCertificates, registry } from '../../../src/operator/metrics.ts';

const expiryLines = async () =>
  (await registry.metrics())
    .split('\n')
    .filter((l) => l.startsWith('keelson_certificate_expiry_timestamp_seconds{'));

describe('the certificate expiry gauge', () => {
  it("holds each certificate's expiry in Unix seconds, and forgets a certificate the cluster no longer has", async () => {
    const cluster = { namespace: 'kafka', name: 'orders' };
    recordCertificates(cluster, [
      { secret: 'orders-cluster-ca', kind: 'cluster-ca', notAfter: '2027-11-30T00:00:00.000Z' },
      { secret: 'orders-combined-3-tls', kind: 'node', notAfter: '2027-06-01T00:00:00.000Z' },
    ]);
    assert.deepEqual(await expiryLines(), [
      'keelson_certificate_expiry_timestamp_seconds{namespace="kafka",cluster="orders",secret="orders-cluster-ca",kind="cluster-ca"} 1827532800',
      'keelson_certificate_expiry_timestamp_seconds{namespace="kafka",cluster="orders",secret="orders-combined-3-tls",kind="node"} 1811808000',
    ]);
    // The node was scaled away.
    recordCertificates(cluster, [
      { secret: 'orders-cluster-ca', kind: 'cluster-ca', notAfter: '2027-11-30T00:00:00.000Z' },
    ]);
    assert.equal((await expiryLines()).length, 1);
  });

  it("keeps a cluster's KafkaUser certificates beside its own: each set replaces only its own series", async () => {
    const cluster = { namespace: 'kafka', name: 'payments' };
    const own = [{ secret: 'payments-cluster-ca', kind: 'cluster-ca', notAfter: '2027-11-30T00:00:00.000Z' }];
    recordCertificates(cluster, own);
    recordCertificates(
      cluster,
      [
        { secret: 'alice', kind: 'user', notAfter: '2027-01-01T00:00:00.000Z' },
        { secret: 'bob', kind: 'user', notAfter: '2027-02-01T00:00:00.000Z' },
      ],
      'users',
    );
    recordCertificates(cluster, own); // the cluster's next pass leaves the users' series alone
    const payments = async () => (await expiryLines()).filter((l) => l.includes('cluster="payments"'));
    assert.deepEqual(
      (await payments()).map((l) => /secret="([^"]+)",kind="([^"]+)"/.exec(l)?.slice(1).join(' ')),
      ['payments-cluster-ca cluster-ca', 'alice user', 'bob user'],
    );
    // bob was deleted.
    recordCertificates(
      cluster,
      [{ secret: 'alice', kind: 'user', notAfter: '2027-01-01T00:00:00.000Z' }],
      'users',
    );
    assert.equal((await payments()).length, 2);
  });
});
