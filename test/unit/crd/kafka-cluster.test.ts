import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KafkaClusterSpec } from '../../../src/crd/kafka-cluster.ts';
import { invalidSpecs, minimalSpec, validSpecs } from '../../fixtures/kafka-cluster-specs.ts';

/** The zod issue path in the dotted form the API server uses. */
const fieldOf = (path: PropertyKey[]): string =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');

describe('KafkaClusterSpec', () => {
  for (const { name, spec } of validSpecs) {
    it(`accepts ${name}`, () => {
      const result = KafkaClusterSpec.safeParse(spec);
      assert.ok(result.success, JSON.stringify(result.error?.issues));
    });
  }

  for (const { name, spec, field, message, admissionOnly } of invalidSpecs) {
    if (admissionOnly) {
      it(`accepts ${name} (refused at admission only)`, () => {
        assert.equal(KafkaClusterSpec.safeParse(spec).success, true);
      });
      continue;
    }
    it(`rejects ${name} at ${field}`, () => {
      const result = KafkaClusterSpec.safeParse(spec);
      assert.equal(result.success, false);
      const issues = result.error?.issues ?? [];
      const issue = issues.find((i) => fieldOf(i.path) === field || fieldOf(i.path).startsWith(`${field}`));
      assert.ok(issue, `no issue at ${field}: ${JSON.stringify(issues)}`);
      assert.match(issue.message, message);
    });
  }

  it('fills the defaults a user may leave out', () => {
    const spec = KafkaClusterSpec.parse(minimalSpec);
    assert.deepEqual(spec.replication, { defaultReplicationFactor: 3, minInSyncReplicas: 2 });
    assert.deepEqual(spec.listeners, [
      { name: 'plain', port: 9092, tls: false, authentication: { type: 'none' }, type: 'internal' },
    ]);
    assert.equal(spec.nodePools[0]?.storage.deleteClaim, false);
    assert.equal(spec.rackAwareness, true);
    assert.equal(spec.paused, false);
    assert.deepEqual(spec.metadataVersion, { policy: 'FollowKafkaVersion' });
    assert.deepEqual(spec.rollout, {
      delayBetweenRestarts: '0s',
      zoneBatched: false,
      maintenanceWindows: [],
    });
    assert.deepEqual(spec.drill, { defaultHold: '10m', maxHold: '1h' });
  });
});
