import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conditionsAfterPass } from '../../../src/domain/cluster-conditions.ts';
import { failure } from '../../../src/domain/failures.ts';
import { nodesNotReady, type ObservedNode } from '../../../src/domain/observed.ts';
import {
  defaultReconcilePolicy,
  errorRetriesBySelf,
  nextTimedWake,
  reconcilePolicyProblems,
  retryDelayMs,
  scheduleRetry,
} from '../../../src/domain/reconcile-policy.ts';

const policy = { resyncIntervalMs: 300_000, retryInitialDelayMs: 30_000, retryMaxDelayMs: 600_000 };

describe('retry backoff', () => {
  it('doubles from the initial delay and stops at the cap', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 50].map((attempt) => retryDelayMs(attempt, policy)),
      [30_000, 60_000, 120_000, 240_000, 480_000, 600_000, 600_000, 600_000],
    );
  });

  it('counts attempts on from the previous retry and says when the next is due', () => {
    const first = scheduleRetry(undefined, 'pod cannot start', 1_000, policy);
    assert.deepEqual(first, { attempt: 1, atMs: 31_000, reason: 'pod cannot start' });
    assert.deepEqual(scheduleRetry(first, 'still', 31_000, policy), {
      attempt: 2,
      atMs: 91_000,
      reason: 'still',
    });
  });

  it('retries failed and blocked operations, not refused ones, an invalid spec or a bug', () => {
    assert.equal(errorRetriesBySelf(failure('PodCannotStart', 'x')), true);
    assert.equal(errorRetriesBySelf(failure('RollBlocked', 'x')), true);
    assert.equal(errorRetriesBySelf(new Error('connection reset')), true);
    assert.equal(errorRetriesBySelf(failure('ScaleRefused', 'x')), false);
    assert.equal(errorRetriesBySelf(failure('OwnedByAnotherCluster', 'x')), false);
    assert.equal(errorRetriesBySelf(failure('InvalidSpec', 'x')), false);
    assert.equal(errorRetriesBySelf(failure('InternalError', 'x')), false);
  });

  it('refuses intervals too short to be meant and a cap below the first delay', () => {
    assert.deepEqual(reconcilePolicyProblems(defaultReconcilePolicy), []);
    assert.deepEqual(reconcilePolicyProblems({ ...policy, resyncIntervalMs: 10, retryMaxDelayMs: 1_000 }), [
      '--resync-interval must be at least 1s',
      '--retry-max-delay must be at least --retry-initial-delay',
    ]);
  });
});

describe('when the cluster workflow wakes by itself', () => {
  const base = {
    nowMs: 100_000,
    lastPassAtMs: 100_000,
    policy,
    retry: undefined,
    zoneFailoverDueInMs: undefined,
  };

  it('passes again one resync interval after the last pass', () => {
    assert.deepEqual(nextTimedWake(base), { kind: 'resync', inMs: 300_000 });
    assert.deepEqual(nextTimedWake({ ...base, nowMs: 350_000 }), { kind: 'resync', inMs: 50_000 });
  });

  it('a scheduled retry stands in for the periodic pass, even when it is later', () => {
    const retry = { attempt: 6, atMs: 700_000, reason: 'x' };
    assert.deepEqual(nextTimedWake({ ...base, retry }), { kind: 'retry', inMs: 600_000 });
  });

  it('a zone failover deadline comes first when it is sooner', () => {
    assert.deepEqual(nextTimedWake({ ...base, zoneFailoverDueInMs: 20_000 }), { kind: 'zone', inMs: 20_000 });
  });

  it('never sooner than a second, even when overdue', () => {
    const retry = { attempt: 1, atMs: 0, reason: 'x' };
    assert.deepEqual(nextTimedWake({ ...base, retry }), { kind: 'retry', inMs: 1_000 });
  });
});

describe('a pass with nothing left to run', () => {
  const node = (podName: string, ready: boolean, failure?: ObservedNode['failure']): ObservedNode => ({
    podName,
    nodeId: 0,
    pool: 'combined',
    zone: 'zone-a',
    roles: ['controller', 'broker'],
    podExists: true,
    claimExists: true,
    ready,
    ...(failure ? { failure } : {}),
  });

  it('is not Ready while a node of the spec is not ready, and says why', () => {
    const desired = new Set(['orders-combined-0', 'orders-combined-1']);
    assert.equal(
      nodesNotReady([node('orders-combined-0', true), node('orders-combined-1', true)], desired),
      undefined,
    );
    const unready = nodesNotReady(
      [
        node('orders-combined-0', true),
        node('orders-combined-1', false, { reason: 'Unschedulable', message: 'no node fits' }),
        node('orders-old-5', false),
      ],
      desired,
    );
    assert.deepEqual(unready, {
      reason: 'NodesNotReady',
      message:
        'no operation is left to run, but 1 node(s) are not ready: orders-combined-1 (Unschedulable: no node fits)',
    });
  });

  it('says in its conditions when it is tried again, or that it waits for the spec', () => {
    const outcome = { kind: 'failed', reason: 'OperationFailed', message: 'repair failed: x' } as const;
    const degraded = (retries: boolean, retry?: { attempt: number; atMs: number }) =>
      conditionsAfterPass({ ...outcome, retries }, 2, false, new Date(0), retry).find(
        (c) => c.type === 'Degraded',
      )?.message;
    assert.equal(
      degraded(true, { attempt: 2, atMs: 60_000 }),
      'repair failed: x; retry 2 at 1970-01-01T00:01:00.000Z',
    );
    assert.equal(degraded(false), 'repair failed: x; not retried until the spec changes');
  });
});
