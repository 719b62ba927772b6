import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  markStartingBrokers,
  type ObservedNode,
  type PartitionState,
  type QuorumState,
} from '../../../src/domain/observed.ts';
import {
  chooseNextRestart,
  partitionsAtRisk,
  quorumRisk,
  type RollState,
} from '../../../src/domain/roll-order.ts';

const node = (
  id: number,
  zone: string,
  roles: ObservedNode['roles'],
  extra: Partial<ObservedNode> = {},
): ObservedNode => ({
  podName: `kc-${roles.length === 2 ? 'combined' : roles[0]}-${id}`,
  nodeId: id,
  pool: roles.join('+'),
  zone,
  roles,
  podExists: true,
  claimExists: true,
  ready: true,
  ...extra,
});

// Three combined nodes, one per zone; node 2 leads the quorum.
const combined = [
  node(0, 'a', ['controller', 'broker']),
  node(1, 'b', ['controller', 'broker']),
  node(2, 'c', ['controller', 'broker']),
];
const quorum: QuorumState = { leaderId: 2, voters: [0, 1, 2].map((nodeId) => ({ nodeId, caughtUp: true })) };
const healthy: PartitionState[] = [
  { topic: 'orders', partition: 0, replicas: [0, 1, 2], isr: [0, 1, 2], minIsr: 2 },
  { topic: 'orders', partition: 1, replicas: [1, 2, 0], isr: [1, 2, 0], minIsr: 2 },
];

const state = (overrides: Partial<RollState>): RollState => ({
  pending: combined,
  restarted: [],
  nodes: combined,
  quorum,
  partitions: healthy,
  zoneBatched: false,
  delayBetweenRestartsMs: 0,
  lastRestartAt: undefined,
  now: 1_000_000,
  ...overrides,
});

const restarts = (decision: ReturnType<typeof chooseNextRestart>): string[] =>
  decision.kind === 'restart' ? decision.nodes.map((n) => n.podName) : [decision.kind];

describe('chooseNextRestart', () => {
  it('is done when nothing is pending and every restarted node is back', () => {
    assert.deepEqual(chooseNextRestart(state({ pending: [], restarted: [combined[0]!] })), { kind: 'done' });
  });

  it('restarts an unready node first', () => {
    const nodes = combined.map((n) => (n.nodeId === 1 ? { ...n, ready: false } : n));
    const partitions = healthy.map((p) => ({ ...p, isr: p.isr.filter((id) => id !== 1) }));
    assert.deepEqual(restarts(chooseNextRestart(state({ nodes, pending: nodes, partitions }))), [
      'kc-combined-1',
    ]);
  });

  it('defers the active controller until last', () => {
    assert.deepEqual(restarts(chooseNextRestart(state({}))), ['kc-combined-0']);
    const onlyLeaderAndOne = [combined[2]!, combined[1]!];
    assert.deepEqual(restarts(chooseNextRestart(state({ pending: onlyLeaderAndOne }))), ['kc-combined-1']);
  });

  it('does not wait on partitions whose replication factor is not above min.insync.replicas, and names them', () => {
    const thin: PartitionState[] = [
      ...healthy,
      { topic: 'scratch', partition: 0, replicas: [0], isr: [0], minIsr: 2 },
      { topic: 'pairs', partition: 0, replicas: [0, 1], isr: [0, 1], minIsr: 2 },
    ];
    const decision = chooseNextRestart(state({ partitions: thin }));
    assert.deepEqual(restarts(decision), ['kc-combined-0']);
    assert.deepEqual(decision.kind === 'restart' ? decision.unprotectable.map((p) => p.topic) : [], [
      'scratch',
      'pairs',
    ]);
    // Node 2 holds neither: nothing to name when it restarts.
    const last = chooseNextRestart(state({ partitions: thin, pending: [combined[2]!] }));
    assert.deepEqual(last.kind === 'restart' ? last.unprotectable : undefined, []);
  });

  it('still waits on a partition that can spare a replica but has lost it', () => {
    const shrunk: PartitionState[] = [
      { topic: 'orders', partition: 0, replicas: [0, 1, 2], isr: [0, 1], minIsr: 2 },
    ];
    const decision = chooseNextRestart(state({ partitions: shrunk, pending: [combined[0]!, combined[1]!] }));
    assert.equal(decision.kind, 'wait');
  });

  it('waits on unprotectable partitions as before when replaying a roll recorded before', () => {
    const thin: PartitionState[] = [{ topic: 'scratch', partition: 0, replicas: [0], isr: [0], minIsr: 2 }];
    const decision = chooseNextRestart(
      state({ partitions: thin, pending: [combined[0]!], passUnprotectable: false }),
    );
    assert.equal(decision.kind, 'wait');
  });

  it('restarts controllers before brokers', () => {
    const nodes = [
      node(100, 'a', ['broker']),
      node(0, 'a', ['controller']),
      node(1, 'b', ['controller']),
      node(2, 'c', ['controller']),
    ];
    const q: QuorumState = { leaderId: 2, voters: [0, 1, 2].map((nodeId) => ({ nodeId, caughtUp: true })) };
    assert.deepEqual(
      restarts(chooseNextRestart(state({ nodes, pending: nodes, quorum: q, partitions: [] }))),
      ['kc-controller-0'],
    );
  });

  it('waits while a restarted node has not rejoined', () => {
    const nodes = combined.map((n) => (n.nodeId === 0 ? { ...n, ready: false } : n));
    const decision = chooseNextRestart(
      state({ nodes, pending: combined.slice(1), restarted: [combined[0]!] }),
    );
    assert.equal(decision.kind, 'wait');
    assert.match(decision.kind === 'wait' ? decision.reason : '', /kc-combined-0 to rejoin/);
  });

  it('looks for a restarted node every second in the first minute after its restart, then every 5 s', () => {
    const nodes = combined.map((n) => (n.nodeId === 0 ? { ...n, ready: false } : n));
    const waitAfter = (sinceRestartMs: number) => {
      const decision = chooseNextRestart(
        state({
          nodes,
          pending: combined.slice(1),
          restarted: [combined[0]!],
          lastRestartAt: 1_000_000 - sinceRestartMs,
        }),
      );
      return decision.kind === 'wait' ? decision.retryAfterMs : decision.kind;
    };
    assert.equal(waitAfter(3_000), 1_000);
    assert.equal(waitAfter(59_000), 1_000);
    assert.equal(waitAfter(61_000), 5_000);
  });

  it('waits until a restarted broker is back in sync on every partition', () => {
    const partitions = healthy.map((p) => ({ ...p, isr: p.isr.filter((id) => id !== 0) }));
    const decision = chooseNextRestart(
      state({ pending: combined.slice(1), restarted: [combined[0]!], partitions }),
    );
    assert.equal(decision.kind, 'wait');
    assert.match(
      decision.kind === 'wait' ? decision.reason : '',
      /kc-combined-0 to catch up on 2 under-replicated/,
    );
  });

  it('stops the roll when a restarted pod cannot be scheduled', () => {
    const failure = {
      reason: 'Unschedulable',
      message: "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.",
    };
    const nodes = combined.map((n) => (n.nodeId === 0 ? { ...n, ready: false, failure } : n));
    const decision = chooseNextRestart(
      state({ nodes, pending: combined.slice(1), restarted: [combined[0]!] }),
    );
    assert.equal(decision.kind, 'blocked');
    assert.match(
      decision.kind === 'blocked' ? decision.message : '',
      /kc-combined-0 did not come back.*node affinity/,
    );
  });

  it('waits out the delay between restarts', () => {
    const decision = chooseNextRestart(
      state({ delayBetweenRestartsMs: 30_000, lastRestartAt: 1_000_000 - 10_000 }),
    );
    assert.deepEqual(decision, { kind: 'wait', reason: 'delay between restarts', retryAfterMs: 20_000 });
  });

  it('skips a broker whose restart would take a partition below min.insync.replicas, naming it', () => {
    const partitions: PartitionState[] = [
      { topic: 'orders', partition: 0, replicas: [0, 1, 2], isr: [0, 1], minIsr: 2 },
    ];
    const decision = chooseNextRestart(state({ partitions, pending: [combined[0]!, combined[1]!] }));
    assert.equal(decision.kind, 'wait');
    assert.match(
      decision.kind === 'wait' ? decision.reason : '',
      /orders-0 \(ISR 0,1, min 2\) below min.insync.replicas/,
    );
  });

  it('never restarts a broker that is recovering its log', () => {
    const nodes = combined.map((n) => (n.nodeId === 0 ? { ...n, inLogRecovery: true } : n));
    // No partition to protect here: only the recovering node itself is held back.
    assert.deepEqual(restarts(chooseNextRestart(state({ nodes, pending: nodes, partitions: [] }))), [
      'kc-combined-1',
    ]);
  });

  it('waits, saying why, when the only broker left to restart is starting up behind an unready pod', () => {
    const brokers = [node(100, 'a', ['broker'], { ready: false }), node(101, 'b', ['broker'])];
    const nodes = markStartingBrokers([...combined, ...brokers], [0, 1, 2, 101], {
      ...quorum,
      fetching: [0, 1, 2, 100, 101],
    });
    const decision = chooseNextRestart(state({ nodes, pending: nodes.filter((n) => n.nodeId === 100) }));
    assert.equal(decision.kind, 'wait');
    assert.match(decision.kind === 'wait' ? decision.reason : '', /kc-broker-100 is starting up/);
  });

  it('counts a broker that is starting up as out of every ISR, so no other broker restarts meanwhile', () => {
    // Kafka still lists node 1 in every ISR (its lag is not noticed yet), but it serves nothing.
    const nodes = combined.map((n) => (n.nodeId === 1 ? { ...n, inLogRecovery: true } : n));
    const decision = chooseNextRestart(state({ nodes, pending: nodes }));
    assert.equal(decision.kind, 'wait');
    assert.match(decision.kind === 'wait' ? decision.reason : '', /kc-combined-1 is starting up/);
    assert.match(decision.kind === 'wait' ? decision.reason : '', /kc-combined-0: restarting would leave/);
  });

  it('keeps a majority of caught-up controllers', () => {
    const lagging: QuorumState = {
      leaderId: 2,
      voters: [
        { nodeId: 0, caughtUp: true },
        { nodeId: 1, caughtUp: false },
        { nodeId: 2, caughtUp: true },
      ],
    };
    // Restarting 0 would leave only 2 caught up; restarting 1 (already lagging) keeps 0 and 2.
    assert.deepEqual(restarts(chooseNextRestart(state({ quorum: lagging }))), ['kc-combined-1']);
  });

  it('restarts a whole zone of brokers at once when every partition keeps min.insync.replicas', () => {
    const brokers = [
      node(100, 'a', ['broker']),
      node(101, 'a', ['broker']),
      node(102, 'b', ['broker']),
      node(103, 'c', ['broker']),
    ];
    const partitions: PartitionState[] = [
      { topic: 't', partition: 0, replicas: [100, 102, 103], isr: [100, 102, 103], minIsr: 2 },
      { topic: 't', partition: 1, replicas: [101, 102, 103], isr: [101, 102, 103], minIsr: 2 },
    ];
    const base = { nodes: brokers, pending: brokers, partitions, quorum: undefined, zoneBatched: true };
    assert.deepEqual(restarts(chooseNextRestart(state(base))), ['kc-broker-100', 'kc-broker-101']);
    const tight: PartitionState[] = [
      { topic: 't', partition: 0, replicas: [100, 101, 102], isr: [100, 101, 102], minIsr: 2 },
    ];
    assert.deepEqual(restarts(chooseNextRestart(state({ ...base, partitions: tight }))), ['kc-broker-100']);
  });
});

describe('quorumRisk and partitionsAtRisk', () => {
  it('refuse to take down a majority of voters or a partition below its minimum together', () => {
    assert.match(quorumRisk(quorum, [combined[0]!, combined[1]!]) ?? '', /only 1 of 3/);
    assert.equal(quorumRisk(quorum, [combined[0]!]), undefined);
    assert.deepEqual(partitionsAtRisk(healthy, [combined[0]!]), []);
    assert.equal(partitionsAtRisk(healthy, [combined[0]!, combined[1]!]).length, 2);
  });
});

describe('markStartingBrokers', () => {
  const brokers = [
    node(100, 'a', ['broker']),
    node(101, 'b', ['broker']),
    node(102, 'c', ['broker'], { ready: false }),
  ];
  it('marks a broker whose process fetches metadata but which does not answer requests, ready pod or not', () => {
    const marked = markStartingBrokers(brokers, [101], { ...quorum, fetching: [0, 1, 2, 100, 101, 102] });
    assert.deepEqual(
      marked.map((n) => [n.nodeId, n.inLogRecovery === true]),
      [
        [100, true],
        [101, false],
        [102, true],
      ],
    );
  });
  it('does not mark a broker whose process is down (not fetching): restarting it costs nothing', () => {
    const marked = markStartingBrokers(brokers, [101], { ...quorum, fetching: [0, 1, 2, 101] });
    assert.ok(marked.every((n) => !n.inLogRecovery));
  });
});
