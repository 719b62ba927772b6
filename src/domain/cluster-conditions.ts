// The conditions the cluster workflow writes, as pure functions of what
// happened: Ready, Reconciling and Degraded after a pass, while an operation
// runs and while the cluster is torn down; Paused; InvalidSpec. `now` is the
// workflow's deterministic clock.
import { buildCondition, type Condition } from './conditions.ts';
import type { AnyOperation } from './cluster-operations.ts';

/** How a pass over the cluster ended. */
export type PassOutcome =
  | { kind: 'ready' }
  | { kind: 'superseded' }
  /**
   * An operation ended without success (`reason` says blocked, refused,
   * invalid spec or failed), or none was left to run but nodes are not ready
   * (NodesNotReady); `retries`: a later pass may cure it by itself.
   */
  | { kind: 'failed'; reason: string; message: string; retries: boolean }
  | { kind: 'zone-unavailable'; message: string };

/**
 * Ready, Reconciling and Degraded after a pass; InvalidSpec cleared when the
 * spec was invalid before. A failed pass says when it is tried again, or that
 * it waits for a change of the spec.
 */
export function conditionsAfterPass(
  outcome: Exclude<PassOutcome, { kind: 'superseded' }>,
  generation: number,
  specWasInvalid: boolean,
  now: Date,
  retry?: { attempt: number; atMs: number },
): Condition[] {
  const set = (type: Condition['type'], status: Condition['status'], reason: string, message: string) =>
    buildCondition(type, status, reason, message, generation, now);
  const cleared = specWasInvalid ? [set('InvalidSpec', 'False', 'SpecAccepted', 'the spec is valid')] : [];
  switch (outcome.kind) {
    case 'ready':
      return [
        ...cleared,
        set('Reconciling', 'False', 'Idle', 'no operation running'),
        set('Ready', 'True', 'Ready', 'every node runs the current spec'),
        set('Degraded', 'False', 'Ready', 'the last operation succeeded'),
      ];
    case 'zone-unavailable':
      return [
        ...cleared,
        set('Reconciling', 'False', 'ZoneUnavailable', outcome.message),
        set('Ready', 'False', 'ZoneUnavailable', outcome.message),
        set('Degraded', 'True', 'ZoneUnavailable', outcome.message),
      ];
    case 'failed': {
      const next = retry
        ? `; retry ${retry.attempt} at ${new Date(retry.atMs).toISOString()}`
        : outcome.retries
          ? ''
          : '; not retried until the spec changes';
      const message = `${outcome.message}${next}`;
      return [
        ...cleared,
        set('Reconciling', 'False', outcome.reason, message),
        set('Ready', 'False', outcome.reason, message),
        set('Degraded', 'True', outcome.reason, message),
      ];
    }
  }
}

/** While an operation runs; a zone failing over also marks the cluster Degraded. */
export function conditionsWhileRunning(
  operation: AnyOperation,
  workflowId: string,
  generation: number,
  zoneFailoverAfter: string,
  now: Date,
): Condition[] {
  return [
    buildCondition(
      'Reconciling',
      'True',
      'OperationRunning',
      `${operation.type} running as ${workflowId}`,
      generation,
      now,
    ),
    buildCondition('Ready', 'False', 'OperationRunning', `${operation.type} in progress`, generation, now),
    ...(operation.type === 'failover' && !operation.originalOrder
      ? [
          buildCondition(
            'Degraded',
            'True',
            'ZoneUnavailable',
            `every pod of zone ${operation.zone} unready for longer than ${zoneFailoverAfter}: leadership moves out of it until it returns`,
            generation,
            now,
          ),
        ]
      : []),
  ];
}

export function conditionsWhileTearingDown(workflowId: string, generation: number, now: Date): Condition[] {
  return [
    buildCondition(
      'Reconciling',
      'True',
      'TearingDown',
      `deleted: tearing down as ${workflowId}`,
      generation,
      now,
    ),
    buildCondition('Ready', 'False', 'TearingDown', 'the cluster is being deleted', generation, now),
  ];
}

export const pausedCondition = (paused: boolean, generation: number, now: Date): Condition =>
  paused
    ? buildCondition('Paused', 'True', 'PausedByUser', 'paused with keelson pause', generation, now)
    : buildCondition('Paused', 'False', 'Resumed', 'resumed with keelson resume', generation, now);

export const invalidSpecCondition = (message: string, generation: number, now: Date): Condition =>
  buildCondition('InvalidSpec', 'True', 'InvalidSpec', message, generation, now);
