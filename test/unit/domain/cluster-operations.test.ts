import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conditionsAfterPass, conditionsWhileRunning } from '../../../src/domain/cluster-conditions.ts';
import {
  chooseOperation,
  operationName,
  operationWorkflowId,
} from '../../../src/domain/cluster-operations.ts';
import type { ObservedNode } from '../../../src/domain/observed.ts';

const node = (podName: string, podExists = true): ObservedNode => ({
  podName,
  nodeId: 0,
  pool: 'combined',
  zone: 'zone-a',
  roles: ['controller', 'broker'],
  podExists,
  claimExists: true,
  ready: true,
});
const observed = [node('orders-combined-0'), node('orders-combined-1', false)];
const failover = { type: 'failover' as const, zone: 'zone-b' };
const planned = { type: 'configure' as const, set: { 'log.retention.ms': '1' }, remove: [] };
const forcedRoll = { reason: 'new certificates' };
const drill = { zone: 'zone-a', holdMs: 60_000 };

describe('chooseOperation', () => {
  it('puts a zone failover before the plan, the plan before a forced roll, a forced roll before a drill', () => {
    const all = { zoneFailover: failover, planned, forcedRoll, drill, round: 0, observed };
    assert.deepEqual(chooseOperation(all)?.operation, failover);
    assert.deepEqual(chooseOperation({ ...all, zoneFailover: undefined })?.operation, planned);
    const forced = chooseOperation({ ...all, zoneFailover: undefined, planned: undefined });
    assert.deepEqual(forced, {
      operation: { type: 'roll', nodes: ['orders-combined-0'], reason: 'new certificates' },
      forced: true,
      drill: false,
    });
    const drilled = chooseOperation({
      ...all,
      zoneFailover: undefined,
      planned: undefined,
      forcedRoll: undefined,
    });
    assert.deepEqual(drilled, { operation: { type: 'drill', ...drill }, forced: false, drill: true });
  });

  it('starts forced rolls and drills only in the first round of a pass, and nothing when nothing is asked', () => {
    assert.equal(
      chooseOperation({ zoneFailover: undefined, planned: undefined, forcedRoll, drill, round: 1, observed }),
      undefined,
    );
    assert.equal(
      chooseOperation({
        zoneFailover: undefined,
        planned: undefined,
        forcedRoll: undefined,
        drill: undefined,
        round: 0,
        observed,
      }),
      undefined,
    );
  });
});

describe('operationWorkflowId', () => {
  const base = { namespace: 'team', name: 'orders', generation: 7, drift: false, pass: 42 };
  it('is one id per generation and round, told apart by trigger where an operation repeats', () => {
    const roll = { type: 'roll' as const, nodes: [], reason: 'x' };
    assert.equal(
      operationWorkflowId({ ...base, operation: roll, round: 0, choice: { forced: false, drill: false } }),
      'roll/team/orders/g7',
    );
    assert.equal(
      operationWorkflowId({ ...base, operation: roll, round: 2, choice: { forced: false, drill: false } }),
      'roll/team/orders/g7-2',
    );
    assert.equal(
      operationWorkflowId({ ...base, operation: roll, round: 0, choice: { forced: true, drill: false } }),
      'roll/team/orders/g7-forced-42',
    );
    assert.equal(
      operationWorkflowId({
        ...base,
        operation: { type: 'drill', ...drill },
        round: 0,
        choice: { forced: false, drill: true },
      }),
      'drill/team/orders/g7-zone-a-42',
    );
    assert.equal(
      operationWorkflowId({
        ...base,
        drift: true,
        operation: planned,
        round: 0,
        choice: { forced: false, drill: false },
      }),
      'configure/team/orders/g7-drift-42',
    );
  });

  it('keeps the old ids of upgrades and failovers for workflows recorded before one name per operation', () => {
    const upgrade = { type: 'upgrade' as const, to: '4.1-IV1' };
    const choice = { forced: false, drill: false };
    assert.equal(
      operationWorkflowId({ ...base, operation: upgrade, round: 0, choice }),
      'upgrade/team/orders/g7',
    );
    assert.equal(
      operationWorkflowId({ ...base, operation: upgrade, round: 0, choice, legacyNames: true }),
      'metadata-version/team/orders/g7',
    );
    assert.equal(
      operationWorkflowId({ ...base, operation: failover, round: 0, choice, legacyNames: true }),
      'zone-failover/team/orders/g7',
    );
  });

  it('names operations as status does', () => {
    assert.equal(operationName('scale-down'), 'scale');
    assert.equal(operationName('upgrade'), 'upgrade');
    assert.equal(operationName('failover'), 'failover');
    assert.equal(operationName('roll'), 'roll');
  });
});

describe('cluster conditions', () => {
  const now = new Date('2026-11-29T00:00:00Z');
  const reasons = (conditions: { type: string; status: string; reason: string }[]) =>
    conditions.map((c) => `${c.type}=${c.status}/${c.reason}`);

  it('after a pass: ready, blocked or failed, and the zone outage; InvalidSpec cleared once', () => {
    assert.deepEqual(reasons(conditionsAfterPass({ kind: 'ready' }, 3, true, now)), [
      'InvalidSpec=False/SpecAccepted',
      'Reconciling=False/Idle',
      'Ready=True/Ready',
      'Degraded=False/Ready',
    ]);
    assert.deepEqual(
      reasons(
        conditionsAfterPass(
          { kind: 'failed', reason: 'OperationBlocked', message: 'roll is blocked: x', retries: true },
          3,
          false,
          now,
        ),
      ),
      [
        'Reconciling=False/OperationBlocked',
        'Ready=False/OperationBlocked',
        'Degraded=True/OperationBlocked',
      ],
    );
    assert.deepEqual(
      reasons(conditionsAfterPass({ kind: 'zone-unavailable', message: 'x' }, 3, false, now)),
      ['Reconciling=False/ZoneUnavailable', 'Ready=False/ZoneUnavailable', 'Degraded=True/ZoneUnavailable'],
    );
  });

  it('while running; a zone failing over also marks the cluster Degraded', () => {
    assert.deepEqual(reasons(conditionsWhileRunning(planned, 'configure/team/orders/g3', 3, '5m', now)), [
      'Reconciling=True/OperationRunning',
      'Ready=False/OperationRunning',
    ]);
    assert.deepEqual(
      reasons(conditionsWhileRunning(failover, 'failover/team/orders/g3', 3, '5m', now)).at(-1),
      'Degraded=True/ZoneUnavailable',
    );
  });
});
