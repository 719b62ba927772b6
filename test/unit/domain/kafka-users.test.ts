import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KafkaUserSpec } from '../../../src/crd/kafka-user.ts';
import { aclChanges, desiredAcls, quotaChanges, userPrincipal } from '../../../src/domain/kafka-users.ts';

const spec = KafkaUserSpec.parse({
  cluster: 'orders',
  authentication: { type: 'scram-sha-512' },
  authorization: {
    acls: [
      { resource: { type: 'topic', name: 'orders' }, operations: ['Write', 'Describe'] },
      { resource: { type: 'group', name: 'billing-', patternType: 'prefixed' }, operations: ['Read'] },
      { resource: { type: 'cluster' }, operations: ['IdempotentWrite'], host: '10.0.0.1' },
    ],
  },
});

describe('the ACLs of a KafkaUser', () => {
  it('are one entry per operation, as Kafka stores them, for the user principal', () => {
    const acls = desiredAcls('alice', spec);
    assert.equal(acls.length, 4);
    assert.ok(acls.every((a) => a.principal === 'User:alice'));
    assert.deepEqual(
      acls.map((a) => [a.resourceType, a.patternType, a.resourceName, a.operation, a.host]),
      [
        ['topic', 'literal', 'orders', 'Write', '*'],
        ['topic', 'literal', 'orders', 'Describe', '*'],
        ['group', 'prefixed', 'billing-', 'Read', '*'],
        ['cluster', 'literal', 'kafka-cluster', 'IdempotentWrite', '10.0.0.1'],
      ],
    );
  });

  it("are put in place exactly: missing ones created, others of managed users deleted, anyone else's left alone", () => {
    const desired = desiredAcls('alice', spec);
    const stale = { ...desired[0]!, operation: 'Read' };
    const someoneElses = { ...desired[0]!, principal: userPrincipal('legacy-app') };
    const { create, remove } = aclChanges(
      desired,
      [desired[0]!, stale, someoneElses],
      new Set(['User:alice']),
    );
    assert.equal(create.length, 3);
    assert.deepEqual(remove, [stale]);
  });
});

describe('the quotas of a KafkaUser', () => {
  it('set what differs, remove what the spec no longer has, and change nothing when in place', () => {
    assert.deepEqual(quotaChanges({ producerByteRate: 1_048_576 }, { consumer_byte_rate: 2048 }), {
      set: { producer_byte_rate: 1_048_576 },
      remove: ['consumer_byte_rate'],
    });
    assert.equal(quotaChanges({ producerByteRate: 1_048_576 }, { producer_byte_rate: 1_048_576 }), undefined);
    assert.equal(quotaChanges(undefined, {}), undefined);
  });
});
