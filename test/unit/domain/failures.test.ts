import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure, RetryState } from '@temporalio/common';
import {
  failure,
  failureOutcome,
  failureType,
  failureTypes,
  operationEnded,
  outcomeReason,
} from '../../../src/domain/failures.ts';

/** A failure as the cluster workflow catches it: child workflow → its activity → the activity's own failure. */
const asCaught = (cause: Error): Error =>
  new ChildWorkflowFailure(
    'default',
    { workflowId: 'roll/team/orders/1', runId: 'r' },
    'rollWorkflow',
    RetryState.NON_RETRYABLE_FAILURE,
    new ActivityFailure('activity failed', 'restartNode', '1', RetryState.NON_RETRYABLE_FAILURE, 'w', cause),
  );

describe('the failure vocabulary', () => {
  it('gives a blocked roll and a failed roll different condition reasons', () => {
    const blocked = asCaught(failure('RollBlocked', 'orders-combined-1 did not come back after its restart'));
    const crashed = asCaught(new Error('socket hang up'));
    assert.equal(outcomeReason[failureOutcome(blocked)], 'OperationBlocked');
    assert.equal(outcomeReason[failureOutcome(crashed)], 'OperationFailed');
    assert.equal(
      operationEnded('roll', failureOutcome(blocked), 'orders-combined-1 did not come back'),
      'roll is blocked: orders-combined-1 did not come back',
    );
  });

  it('reports a refused change and an invalid spec apart from a failure', () => {
    assert.equal(outcomeReason[failureOutcome(asCaught(failure('ScaleRefused', 'x')))], 'OperationRefused');
    assert.equal(outcomeReason[failureOutcome(asCaught(failure('InvalidSpec', 'x')))], 'InvalidSpec');
    assert.equal(outcomeReason[failureOutcome(asCaught(failure('PodCannotStart', 'x')))], 'OperationFailed');
  });

  it('makes failures retryable only where a retry may cure them', () => {
    assert.equal(failure('BackupStoreUnreachable', 'x').nonRetryable, false);
    for (const type of failureTypes.filter((t) => t !== 'BackupStoreUnreachable'))
      assert.equal(failure(type, 'x').nonRetryable, true, type);
  });

  it('finds the innermost known type, and none for types outside the vocabulary', () => {
    assert.equal(failureType(asCaught(failure('BackupCorrupt', 'x'))), 'BackupCorrupt');
    assert.equal(failureType(asCaught(ApplicationFailure.nonRetryable('x', 'SomethingElse'))), undefined);
    assert.equal(failureOutcome(asCaught(ApplicationFailure.nonRetryable('x', 'SomethingElse'))), 'failed');
  });
});
