import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KafkaClusterSpec } from '../../../src/crd/kafka-cluster.ts';
import { restoreDrillClusterName, scratchClusterSpec } from '../../../src/domain/restore-drill.ts';
import { minimalSpec } from '../../fixtures/kafka-cluster-specs.ts';

const target = { s3: { bucket: 'kafka-backups', credentialsSecret: 'creds' } };

describe('restore drill scratch cluster', () => {
  it('is named after the cluster, a valid KafkaCluster name even for the longest names', () => {
    assert.equal(restoreDrillClusterName('orders'), 'orders-restore-drill');
    const long = restoreDrillClusterName(`o${'x'.repeat(62)}`);
    assert.ok(long.length <= 63, long);
    assert.match(long, /^[a-z]([-a-z0-9]*[a-z0-9])?$/);
    assert.notEqual(long, restoreDrillClusterName(`o${'x'.repeat(61)}y`));
  });

  it('runs the source Kafka version and config, the drill size, and reads the same backup target', () => {
    const source = KafkaClusterSpec.parse({
      ...minimalSpec,
      config: { 'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer' },
      backup: { target, schedule: '0 3 * * *', restoreDrill: { brokers: 2, storageSize: '5Gi' } },
    });
    const scratch = KafkaClusterSpec.parse(scratchClusterSpec(source));
    assert.equal(scratch.kafkaVersion, source.kafkaVersion);
    assert.deepEqual(scratch.config, source.config);
    // Two brokers: one of them a controller too (a quorum is odd).
    assert.deepEqual(
      scratch.nodePools.map((p) => [p.roles, p.replicas]),
      [
        [['controller', 'broker'], 1],
        [['broker'], 1],
      ],
    );
    assert.deepEqual(scratch.replication, { defaultReplicationFactor: 2, minInSyncReplicas: 1 });
    assert.equal(scratch.nodePools[0]?.storage.size, '5Gi');
    assert.equal(scratch.nodePools[0]?.storage.deleteClaim, true, 'scratch data goes with it');
    assert.deepEqual(scratch.backup?.target, target);
    assert.equal(scratch.backup?.schedule, undefined, 'no backups of its own');
    assert.equal(scratch.backup?.restoreDrill, undefined, 'and no drills of its own');
  });

  it('defaults to three nodes of the first pool size', () => {
    const source = KafkaClusterSpec.parse({ ...minimalSpec, backup: { target, restoreDrill: {} } });
    const scratch = KafkaClusterSpec.parse(scratchClusterSpec(source));
    assert.deepEqual(
      scratch.nodePools.map((p) => [p.roles, p.replicas]),
      [[['controller', 'broker'], 3]],
    );
    assert.equal(scratch.nodePools[0]?.storage.size, minimalSpec.nodePools[0]?.storage.size);
  });
});
