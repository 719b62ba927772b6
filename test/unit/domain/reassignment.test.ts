import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  planDrain,
  planSpread,
  reassignmentProgress,
  replicasHeldBy,
  type PartitionAssignment,
} from '../../../src/domain/reassignment.ts';

const zones = ['zone-a', 'zone-b', 'zone-c'];
const brokers = (...ids: number[]) => ids.map((id) => ({ id, zone: zones[id % 3] ?? 'zone-a' }));
/** 6 partitions of RF 3 on brokers 0, 1, 2, leaders rotating. */
const onThree: PartitionAssignment[] = Array.from({ length: 6 }, (_, partition) => ({
  topic: 'orders',
  partition,
  replicas: [0, 1, 2].map((r) => (r + partition) % 3),
}));
const apply = (assignment: PartitionAssignment[], moves: PartitionAssignment[]) =>
  assignment.map((p) => moves.find((m) => m.topic === p.topic && m.partition === p.partition) ?? p);
const zoneCount = (replicas: number[]) => new Set(replicas.map((r) => zones[r % 3])).size;

describe('planSpread', () => {
  it('gives new brokers their share, keeping leaders, distinct brokers and zone spread', () => {
    const moves = planSpread(onThree, brokers(0, 1, 2, 3, 4), [3, 4]);
    const after = apply(onThree, moves);
    const held = replicasHeldBy(after, [0, 1, 2, 3, 4]);
    assert.deepEqual([held.get(3), held.get(4)], [3, 3], '18 replicas over 5 brokers: 3 or 4 each');
    for (const [i, p] of after.entries()) {
      assert.equal(p.replicas[0], onThree[i]?.replicas[0], 'the preferred leader stays');
      assert.equal(new Set(p.replicas).size, 3);
      assert.equal(zoneCount(p.replicas), 3);
    }
    const replaced = after.flatMap((p, i) => p.replicas.filter((r, at) => r !== onThree[i]?.replicas[at]));
    assert.equal(replaced.length, 6, 'no more replicas move than the new brokers take');
  });

  it('moves nothing when there is nothing new to fill', () => {
    assert.deepEqual(planSpread(onThree, brokers(0, 1, 2), []), []);
  });
});

describe('planDrain', () => {
  const spread = apply(onThree, planSpread(onThree, brokers(0, 1, 2, 3, 4), [3, 4]));

  it('moves every replica off the leaving brokers, keeping zones spread', () => {
    const plan = planDrain(spread, brokers(0, 1, 2, 3, 4), [3, 4]);
    assert.equal(plan.kind, 'moves');
    const after = apply(spread, plan.kind === 'moves' ? plan.moves : []);
    assert.equal(replicasHeldBy(after, [3, 4]).size, 0);
    for (const p of after) {
      assert.equal(new Set(p.replicas).size, 3);
      assert.equal(zoneCount(p.replicas), 3);
    }
  });

  it('refuses when fewer brokers would remain than the replication factor, naming partitions', () => {
    const plan = planDrain(onThree, brokers(0, 1, 2), [2]);
    assert.equal(plan.kind, 'refused');
    assert.match(
      plan.kind === 'refused' ? plan.message : '',
      /2 broker\(s\) would remain, fewer than the replication factor of 6 partition\(s\) \(orders\/0/,
    );
  });
});

describe('planDrain rack spread', () => {
  it('refuses to leave fewer zones than partitions are spread over', () => {
    // 6 brokers, two per zone; removing both of zone-c leaves two zones for RF 3.
    const six = [0, 1, 2, 3, 4, 5].map((id) => ({ id, zone: zones[id % 3] ?? '' }));
    const plan = planDrain(onThree, six, [2, 5]);
    assert.equal(plan.kind, 'refused');
    assert.match(plan.kind === 'refused' ? plan.message : '', /only zone-a, zone-b would keep brokers/);
  });
});

describe('reassignmentProgress', () => {
  it('counts a move done only with exactly the target replicas, all in sync', () => {
    const moves = [
      { topic: 't', partition: 0, replicas: [0, 3, 2] },
      { topic: 't', partition: 1, replicas: [1, 4, 0] },
    ];
    const progress = reassignmentProgress(moves, [
      { topic: 't', partition: 0, replicas: [0, 3, 2], isr: [0, 2, 3] },
      { topic: 't', partition: 1, replicas: [1, 4, 0, 2], isr: [1, 0, 2] }, // still adding 4, removing 2
    ]);
    assert.deepEqual([progress.done, progress.total], [1, 2]);
    assert.deepEqual(progress.pending, [moves[1]]);
  });
});
