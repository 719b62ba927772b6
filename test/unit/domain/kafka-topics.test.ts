// What Keelson plans for a KafkaTopic, from its spec and what Kafka holds:
// create, adopt only an identical topic, grow, alter and remove configs,
// change the replication factor; refuse what would lose records.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KafkaTopicSpec, type KafkaTopicSpecInput } from '../../../src/crd/kafka-topic.ts';
import {
  planReplicationChange,
  planTopic,
  topicOwners,
  type TopicInKafka,
} from '../../../src/domain/kafka-topics.ts';

const spec = (input: Partial<KafkaTopicSpecInput> = {}) =>
  KafkaTopicSpec.parse({ cluster: 'orders', partitions: 3, replicas: 3, ...input });
const topic = (partitions: number, rf: number, configs: Record<string, string> = {}): TopicInKafka => ({
  id: 'id-1',
  partitions: Array.from({ length: partitions }, (_, p) => ({
    partition: p,
    leader: p % 3,
    replicas: Array.from({ length: rf }, (_, r) => (p + r) % 3),
  })),
  configs,
});
const plan = (s: ReturnType<typeof spec>, inKafka: TopicInKafka | undefined, ownedId?: string) =>
  planTopic({ topicName: 't', spec: s, ownedId, inKafka, brokers: 3 });

describe('planTopic', () => {
  it('creates a missing topic with the spec configs as strings', () => {
    assert.deepEqual(
      plan(spec({ config: { 'retention.ms': 60_000, 'cleanup.policy': 'compact' } }), undefined),
      {
        kind: 'create',
        partitions: 3,
        replicas: 3,
        configs: { 'retention.ms': '60000', 'cleanup.policy': 'compact' },
      },
    );
  });

  it('refuses more replicas than the cluster has brokers', () => {
    const p = plan(spec({ replicas: 4 }), undefined);
    assert.equal(p.kind, 'refuse');
    assert.match(p.kind === 'refuse' ? p.message : '', /replicas 4 is more than the cluster's 3 brokers/);
  });

  it('adopts an existing topic only when it is exactly as the spec says', () => {
    assert.deepEqual(
      plan(spec({ config: { 'retention.ms': '1000' } }), topic(3, 3, { 'retention.ms': '1000' })),
      {
        kind: 'converge',
        adopt: true,
        setConfigs: {},
        deleteConfigs: [],
        changeReplicas: false,
      },
    );
    const differs = plan(
      spec({ partitions: 6, config: { 'retention.ms': '1000' } }),
      topic(3, 2, { 'segment.ms': '5' }),
    );
    assert.equal(differs.kind, 'refuse');
    if (differs.kind !== 'refuse') return;
    assert.equal(differs.reason, 'TopicExists');
    for (const part of [
      'partitions 3 (spec: 6)',
      'replicas 2 (spec: 3)',
      'retention.ms not set (spec: 1000)',
      'segment.ms = 5 (spec: not set)',
    ])
      assert.ok(differs.message.includes(part), `${differs.message} names ${part}`);
  });

  it('grows partitions, sets and removes configs of its own topic, leaving the throttle keys alone', () => {
    const p = plan(
      spec({ partitions: 5, config: { 'retention.ms': '2000', 'min.insync.replicas': 2 } }),
      topic(3, 3, {
        'retention.ms': '1000',
        'segment.ms': '5',
        'min.insync.replicas': '2',
        'leader.replication.throttled.replicas': '0:1',
      }),
      'id-1',
    );
    assert.deepEqual(p, {
      kind: 'converge',
      adopt: false,
      growPartitionsTo: 5,
      setConfigs: { 'retention.ms': '2000' },
      deleteConfigs: ['segment.ms'],
      changeReplicas: false,
    });
  });

  it('refuses a topic with more partitions than the spec, and asks for replica moves on an RF change', () => {
    assert.equal(plan(spec({ partitions: 2 }), topic(3, 3), 'id-1').kind, 'refuse');
    const p = plan(spec({ replicas: 2 }), topic(3, 3), 'id-1');
    assert.equal(p.kind === 'converge' && p.changeReplicas, true);
  });

  it('treats a topic recreated behind its back (another id) as not its own', () => {
    assert.equal(plan(spec({ partitions: 6 }), topic(3, 3), 'id-0').kind, 'refuse');
  });
});

describe('planReplicationChange', () => {
  const brokers = [
    { id: 0, zone: 'a' },
    { id: 1, zone: 'b' },
    { id: 2, zone: 'c' },
    { id: 3, zone: 'a' },
  ];
  it('adds replicas in zones the partition lacks, then on the least loaded broker', () => {
    const load = new Map([
      [0, 10],
      [1, 10],
      [2, 10],
      [3, 0],
    ]);
    const moves = planReplicationChange('t', [{ partition: 0, leader: 0, replicas: [0] }], 3, brokers, load);
    assert.deepEqual(moves, [{ topic: 't', partition: 0, replicas: [0, 1, 2] }]);
    assert.equal(load.get(1), 11);
  });

  it('removes replicas but never the leader, doubled zones first', () => {
    const moves = planReplicationChange(
      't',
      [{ partition: 0, leader: 3, replicas: [3, 1, 0] }],
      2,
      brokers,
      new Map(),
    );
    assert.deepEqual(moves, [{ topic: 't', partition: 0, replicas: [3, 1] }]);
  });

  it('plans nothing when the factor is already right', () => {
    assert.deepEqual(planReplicationChange('t', topic(3, 3).partitions, 3, brokers, new Map()), []);
  });
});

describe('topicOwners', () => {
  const claim = (name: string, created: string, topicName: string, holds = false, claims = false) => ({
    name,
    created,
    topicName,
    holds,
    claims,
  });
  it('gives a topic name to the KafkaTopic holding it, then one claiming it, then the oldest', () => {
    const owners = topicOwners([
      claim('b', '2026-01-02T00:00:00Z', 'x'),
      claim('a', '2026-01-03T00:00:00Z', 'x'),
      claim('c', '2026-01-01T00:00:00Z', 'y'),
      claim('z', '2026-01-05T00:00:00Z', 'w', false, true),
      claim('d', '2026-01-04T00:00:00Z', 'w'),
      claim('e', '2026-01-06T00:00:00Z', 'v', true),
      claim('f', '2026-01-06T00:00:00Z', 'v', false, true),
    ]);
    assert.equal(owners.get('x')?.name, 'b');
    assert.equal(owners.get('y')?.name, 'c');
    assert.equal(owners.get('w')?.name, 'z', 'a claim made wins over an older creation time');
    assert.equal(owners.get('v')?.name, 'e', 'holding the topic wins over a claim');
  });
});
