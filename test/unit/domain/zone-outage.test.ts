import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ObservedNode } from '../../../src/domain/observed.ts';
import { assessZones, unavailableZones } from '../../../src/domain/zone-outage.ts';

const node = (id: number, zone: string, extra: Partial<ObservedNode> = {}): ObservedNode => ({
  podName: `kc-${id}`,
  nodeId: id,
  pool: 'combined',
  zone,
  roles: ['controller', 'broker'],
  podExists: true,
  claimExists: true,
  ready: true,
  ...extra,
});
const down = { ready: false };
const minute = 60_000;

describe('unavailableZones', () => {
  it('names a zone whose every pod is unready while another zone has a ready broker', () => {
    const nodes = [node(0, 'a', down), node(3, 'a', down), node(1, 'b'), node(2, 'c')];
    assert.deepEqual(unavailableZones(nodes), ['a']);
  });

  it('does not count a zone with one pod still ready', () => {
    assert.deepEqual(unavailableZones([node(0, 'a', down), node(3, 'a'), node(1, 'b'), node(2, 'c')]), []);
  });

  it('does not count pods that do not exist (a repair, not an outage)', () => {
    const nodes = [node(0, 'a', { ready: false, podExists: false }), node(1, 'b'), node(2, 'c')];
    assert.deepEqual(unavailableZones(nodes), []);
  });

  it('is no zone failure when nothing anywhere is ready', () => {
    assert.deepEqual(unavailableZones([node(0, 'a', down), node(1, 'b', down)]), []);
  });

  it('ignores a zone that runs only controllers', () => {
    const nodes = [
      node(10, 'a', { ready: false, roles: ['controller'] }),
      node(0, 'a', { ready: false, podExists: false }),
      node(1, 'b'),
    ];
    assert.deepEqual(unavailableZones(nodes), []);
  });
});

describe('assessZones', () => {
  const zoneADown = [node(0, 'a', down), node(1, 'b'), node(2, 'c')];

  it('starts the clock at the first pass that sees the zone out, and waits', () => {
    const result = assessZones({
      nodes: zoneADown,
      tracked: undefined,
      nowMs: 1_000,
      failoverAfterMs: 2 * minute,
    });
    assert.deepEqual(result, {
      kind: 'waiting',
      outage: { zone: 'a', unreadySince: 1_000 },
      failoverAtMs: 1_000 + 2 * minute,
    });
  });

  it('fails over once the zone has been out for the configured time, not before', () => {
    const tracked = { zone: 'a', unreadySince: 0 };
    const early = assessZones({
      nodes: zoneADown,
      tracked,
      nowMs: 2 * minute - 1,
      failoverAfterMs: 2 * minute,
    });
    assert.equal(early.kind, 'waiting');
    const due = assessZones({ nodes: zoneADown, tracked, nowMs: 2 * minute, failoverAfterMs: 2 * minute });
    assert.deepEqual(due, { kind: 'failover', outage: tracked });
  });

  it('forgets a zone that came back before failing over', () => {
    const result = assessZones({
      nodes: [node(0, 'a'), node(1, 'b'), node(2, 'c')],
      tracked: { zone: 'a', unreadySince: 0 },
      nowMs: minute,
      failoverAfterMs: 2 * minute,
    });
    assert.deepEqual(result, { kind: 'available' });
  });

  it('fails back a zone that returned while leadership is still out of it', () => {
    const tracked = {
      zone: 'a',
      unreadySince: 0,
      originalOrder: [{ topic: 't', partition: 0, replicas: [0, 1, 2] }],
    };
    const result = assessZones({
      nodes: [node(0, 'a'), node(1, 'b'), node(2, 'c')],
      tracked,
      nowMs: 10 * minute,
      failoverAfterMs: 2 * minute,
    });
    assert.deepEqual(result, { kind: 'failback', outage: tracked });
  });

  it('keeps the clock of the tracked zone when a second zone goes out too', () => {
    const tracked = { zone: 'b', unreadySince: 5 };
    const nodes = [node(0, 'a', down), node(1, 'b', down), node(2, 'c')];
    const result = assessZones({ nodes, tracked, nowMs: minute, failoverAfterMs: 2 * minute });
    assert.equal(result.kind, 'waiting');
    assert.deepEqual(result.kind === 'waiting' && result.outage, tracked);
  });
});
