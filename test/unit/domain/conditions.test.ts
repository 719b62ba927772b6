import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildCondition, mergeConditions } from '../../../src/domain/conditions.ts';

const at = (iso: string) => new Date(iso);

describe('mergeConditions', () => {
  const ready = buildCondition('Ready', 'True', 'Ready', 'ok', 1, at('2026-01-01T00:00:00Z'));
  const reconciling = buildCondition('Reconciling', 'False', 'Idle', 'idle', 1, at('2026-01-01T00:00:00Z'));

  it('replaces only the condition types it is given', () => {
    const paused = buildCondition('Paused', 'True', 'PausedByUser', 'paused', 1, at('2026-01-02T00:00:00Z'));
    assert.deepEqual(mergeConditions([ready, reconciling], [paused]), [ready, reconciling, paused]);
  });

  it('keeps the transition time while the status stays the same', () => {
    const later = buildCondition('Ready', 'True', 'Ready', 'still ok', 2, at('2026-01-03T00:00:00Z'));
    const [merged] = mergeConditions([ready], [later]);
    assert.equal(merged?.lastTransitionTime, ready.lastTransitionTime);
    assert.equal(merged?.message, 'still ok');
    assert.equal(merged?.observedGeneration, 2);
  });

  it('takes the new transition time when the status changes', () => {
    const notReady = buildCondition(
      'Ready',
      'False',
      'OperationRunning',
      'roll',
      2,
      at('2026-01-03T00:00:00Z'),
    );
    assert.deepEqual(mergeConditions([ready], [notReady]), [notReady]);
  });
});
