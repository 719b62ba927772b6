import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KafkaClusterSpec, type KafkaClusterSpecInput } from '../../../src/crd/kafka-cluster.ts';
import { assignNodeIdBases, planNodes } from '../../../src/domain/nodes.ts';
import type { ObservedNode } from '../../../src/domain/observed.ts';
import { planOperations, type DesiredNode, type ObservedCluster } from '../../../src/domain/planner.ts';
import { minimalSpec } from '../../fixtures/kafka-cluster-specs.ts';

function desiredFor(input: KafkaClusterSpecInput) {
  const spec = KafkaClusterSpec.parse(input);
  const desired: DesiredNode[] = planNodes('kc', spec, assignNodeIdBases(spec.nodePools, {})).map((n) => ({
    ...n,
    configHash: 'h1',
  }));
  return { spec, desired };
}

const running = (desired: readonly DesiredNode[], change: Partial<ObservedNode> = {}): ObservedNode[] =>
  desired.map((n) => ({
    ...n,
    podExists: true,
    claimExists: true,
    ready: true,
    configHash: n.configHash,
    ...change,
  }));

const cluster = (nodes: ObservedNode[], extra: Partial<ObservedCluster> = {}): ObservedCluster => ({
  nodes,
  dynamicConfig: {},
  metadataVersion: '4.1-IV1',
  ...extra,
});

describe('planOperations', () => {
  const { spec, desired } = desiredFor(minimalSpec);

  it('provisions a cluster that has no node yet', () => {
    assert.deepEqual(planOperations(spec, desired, cluster([])), [
      { type: 'provision', nodes: ['kc-combined-0', 'kc-combined-1', 'kc-combined-2'] },
    ]);
  });

  it('plans nothing for a cluster that matches its spec', () => {
    assert.deepEqual(planOperations(spec, desired, cluster(running(desired))), []);
  });

  it('plans nothing while paused, whatever differs', () => {
    const paused = KafkaClusterSpec.parse({ ...minimalSpec, paused: true });
    assert.deepEqual(planOperations(paused, desired, cluster([])), []);
  });

  it('grows the claims that ask for less than their pool storage.size, and only those', () => {
    const grown = desiredFor({
      ...minimalSpec,
      nodePools: minimalSpec.nodePools.map((p) => ({ ...p, storage: { size: '2Gi' } })),
    });
    const nodes = running(grown.desired).map((n) => ({
      ...n,
      claim: { requested: n.podName === 'kc-combined-2' ? '2Gi' : '1Gi', resizePending: false },
    }));
    assert.deepEqual(planOperations(grown.spec, grown.desired, cluster(nodes)), [
      { type: 'expand', nodes: ['kc-combined-0', 'kc-combined-1'] },
    ]);
    // 1024Mi is 1Gi: nothing to grow.
    const same = nodes.map((n) => ({ ...n, claim: { requested: '2048Mi', resizePending: false } }));
    assert.deepEqual(planOperations(grown.spec, grown.desired, cluster(same)), []);
  });

  it('repairs a missing pod or claim before anything else', () => {
    const nodes = running(desired).map((n) =>
      n.podName === 'kc-combined-1'
        ? { ...n, podExists: false }
        : n.podName === 'kc-combined-2'
          ? { ...n, claimExists: false, configHash: 'old' }
          : n,
    );
    const plan = planOperations(spec, desired, cluster(nodes));
    assert.deepEqual(plan[0], { type: 'repair', pods: ['kc-combined-1'], claims: ['kc-combined-2'] });
    assert.deepEqual(plan[1], {
      type: 'roll',
      nodes: ['kc-combined-2'],
      reason: 'pods out of date with the spec',
    });
  });

  it('rolls the pods whose config hash is out of date', () => {
    const nodes = running(desired).map((n) => (n.nodeId === 0 ? n : { ...n, configHash: 'old' }));
    assert.deepEqual(planOperations(spec, desired, cluster(nodes)), [
      { type: 'roll', nodes: ['kc-combined-1', 'kc-combined-2'], reason: 'pods out of date with the spec' },
    ]);
  });

  it('applies dynamic broker configs without a roll', () => {
    const withRetention = desiredFor({
      ...minimalSpec,
      config: { 'log.retention.ms': 1000, 'num.partitions': 3 },
    });
    const plan = planOperations(
      withRetention.spec,
      withRetention.desired,
      cluster(running(withRetention.desired), { dynamicConfig: { 'log.cleaner.threads': '2' } }),
    );
    assert.deepEqual(plan, [
      { type: 'configure', set: { 'log.retention.ms': '1000' }, remove: ['log.cleaner.threads'] },
    ]);
  });

  it('plans no config change while no broker could say what Kafka holds', () => {
    const withRetention = desiredFor({ ...minimalSpec, config: { 'log.retention.ms': 1000 } });
    const plan = planOperations(
      withRetention.spec,
      withRetention.desired,
      cluster(running(withRetention.desired), { dynamicConfig: undefined, metadataVersion: undefined }),
    );
    assert.deepEqual(plan, []);
  });

  it('adds nodes before rolling and removes nodes last', () => {
    const withBrokers = (replicas: number): KafkaClusterSpecInput => ({
      kafkaVersion: '4.1.1',
      nodePools: [
        {
          name: 'controllers',
          roles: ['controller'],
          replicas: 3,
          zones: ['a', 'b', 'c'],
          storage: { size: '1Gi' },
        },
        { name: 'brokers', roles: ['broker'], replicas, zones: ['a', 'b', 'c'], storage: { size: '1Gi' } },
      ],
    });
    const four = desiredFor(withBrokers(4));
    const five = desiredFor(withBrokers(5));
    const outdated = running(four.desired, { configHash: 'old' });
    assert.deepEqual(
      planOperations(five.spec, five.desired, cluster(outdated)).map((o) => o.type),
      ['scale-up', 'roll'],
    );
    const three = desiredFor(withBrokers(3));
    assert.deepEqual(planOperations(three.spec, three.desired, cluster(running(four.desired))), [
      { type: 'scale-down', nodes: ['kc-brokers-3'] },
    ]);
    // Once its pod is gone, the claim a removed node leaves behind is kept data: nothing to do.
    const removedKeptClaim = running(four.desired).map((n) =>
      n.podName === 'kc-brokers-3' ? { ...n, podExists: false, ready: false } : n,
    );
    assert.deepEqual(planOperations(three.spec, three.desired, cluster(removedKeptClaim)), []);
  });

  it('raises metadata.version only after every node runs the new version', () => {
    const observed = cluster(running(desired), { metadataVersion: '3.9-IV0' });
    assert.deepEqual(planOperations(spec, desired, observed), [{ type: 'upgrade', to: '4.1-IV1' }]);
    const midRoll = cluster(running(desired, { configHash: 'old' }), { metadataVersion: '3.9-IV0' });
    assert.equal(
      planOperations(spec, desired, midRoll).some((o) => o.type === 'upgrade'),
      false,
    );
    const newer = cluster(running(desired), { metadataVersion: '4.2-IV0' });
    assert.deepEqual(planOperations(spec, desired, newer), [], 'never lowered');
  });
});
