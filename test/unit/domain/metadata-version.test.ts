import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planMetadataVersionRaise } from '../../../src/domain/metadata-version.ts';

const nodes = (...maxLevels: number[]) => maxLevels.map((maxLevel, nodeId) => ({ nodeId, maxLevel }));

describe('planMetadataVersionRaise', () => {
  it('raises to the level of the target when every node supports it', () => {
    assert.deepEqual(
      planMetadataVersionRaise({
        target: '4.1-IV1',
        finalizedLevel: 21,
        nodes: nodes(27, 27, 27),
        registeredBrokerIds: [0, 1, 2],
      }),
      { kind: 'raise', from: '3.9-IV0', level: 27 },
    );
  });

  it('does nothing when the cluster is already there or beyond', () => {
    for (const finalizedLevel of [27, 28]) {
      const step = planMetadataVersionRaise({
        target: '4.1-IV1',
        finalizedLevel,
        nodes: nodes(27, 27, 27),
        registeredBrokerIds: [0, 1, 2],
      });
      assert.equal(step.kind, 'done');
    }
  });

  it('refuses while a node runs a Kafka without the target, naming it', () => {
    const step = planMetadataVersionRaise({
      target: '4.1-IV1',
      finalizedLevel: 21,
      nodes: nodes(27, 21, 27),
      registeredBrokerIds: [0, 1, 2],
    });
    assert.deepEqual(step, {
      kind: 'refused',
      message:
        'metadata.version 4.1-IV1 is not supported by node 1 (up to 3.9-IV0); every node must run a Kafka version that has it',
    });
  });

  it('refuses while a broker outside the cluster is still registered', () => {
    const step = planMetadataVersionRaise({
      target: '4.1-IV1',
      finalizedLevel: 21,
      nodes: nodes(27, 27, 27),
      registeredBrokerIds: [0, 1, 2, 3],
    });
    assert.equal(step.kind, 'refused');
    assert.match(
      step.kind === 'refused' ? step.message : '',
      /broker 3 is registered but not part of the cluster/,
    );
  });

  it('refuses a version it does not know', () => {
    const step = planMetadataVersionRaise({
      target: '9.9-IV9',
      finalizedLevel: 21,
      nodes: nodes(27),
      registeredBrokerIds: [0],
    });
    assert.equal(step.kind, 'refused');
  });
});
