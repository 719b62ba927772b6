// When the cluster workflow looks at its cluster again without being told to:
// every resync interval (a level-triggered pass that puts back what was
// changed behind Keelson's back), and after an operation that did not
// succeed, with capped exponential backoff, when a retry may cure it.
import { failureOutcome, failureType, type FailureOutcome } from './failures.ts';

export interface ReconcilePolicy {
  /** A pass at least this often, even when nothing signalled a change. */
  resyncIntervalMs: number;
  /** The wait before the first retry of an operation that did not succeed; doubled for each further one. */
  retryInitialDelayMs: number;
  /** The longest wait between two retries. */
  retryMaxDelayMs: number;
}

export const defaultReconcilePolicy: ReconcilePolicy = {
  resyncIntervalMs: 5 * 60_000,
  retryInitialDelayMs: 30_000,
  retryMaxDelayMs: 10 * 60_000,
};

/** Bounds a policy must keep: a pass more often than this would keep the API server and Kafka busy for nothing. */
export const minimumIntervalMs = 1_000;

export function reconcilePolicyProblems(policy: ReconcilePolicy): string[] {
  const problems: string[] = [];
  if (policy.resyncIntervalMs < minimumIntervalMs) problems.push('--resync-interval must be at least 1s');
  if (policy.retryInitialDelayMs < minimumIntervalMs)
    problems.push('--retry-initial-delay must be at least 1s');
  if (policy.retryMaxDelayMs < policy.retryInitialDelayMs)
    problems.push('--retry-max-delay must be at least --retry-initial-delay');
  return problems;
}

/** The wait before retry `attempt` (1 for the first): the initial delay doubled per attempt, capped. */
export function retryDelayMs(attempt: number, policy: ReconcilePolicy): number {
  const doubled = policy.retryInitialDelayMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30);
  return Math.min(doubled, policy.retryMaxDelayMs);
}

/**
 * Whether an operation that ended with `outcome` is tried again by itself.
 * Blocked and failed ones are: an image pull may recover, a crash loop may
 * end, under-replicated partitions catch up. Refused ones and an invalid spec
 * are not: the same spec gets the same answer, so they wait for a change.
 */
export function retriesBySelf(outcome: FailureOutcome): boolean {
  return outcome === 'blocked' || outcome === 'failed';
}

/** Whether the failure `err` is one a later retry may cure (a bug in Keelson's own state is not). */
export function errorRetriesBySelf(err: unknown): boolean {
  return failureType(err) !== 'InternalError' && retriesBySelf(failureOutcome(err));
}

/** The retry scheduled after a pass that did not succeed. */
export interface ScheduledRetry {
  /** 1 for the first retry. */
  attempt: number;
  /** Workflow time (ms) of the retry. */
  atMs: number;
  /** What the failed pass said. */
  reason: string;
}

/** The next retry after a pass that ended unsuccessfully at `nowMs`, following `previous` (if any). */
export function scheduleRetry(
  previous: ScheduledRetry | undefined,
  reason: string,
  nowMs: number,
  policy: ReconcilePolicy,
): ScheduledRetry {
  const attempt = (previous?.attempt ?? 0) + 1;
  return { attempt, atMs: nowMs + retryDelayMs(attempt, policy), reason };
}

/**
 * Why the loop wakes without a signal, and when: a scheduled retry (which
 * stands in for the periodic pass, so that a failing cluster is not worked on
 * more often than its backoff allows), or else the next periodic pass; a
 * zone's failover deadline when that comes first.
 */
export function nextTimedWake(input: {
  nowMs: number;
  lastPassAtMs: number;
  policy: ReconcilePolicy;
  retry: ScheduledRetry | undefined;
  zoneFailoverDueInMs: number | undefined;
}): { kind: 'retry' | 'zone' | 'resync'; inMs: number } {
  const timed = input.retry
    ? { kind: 'retry' as const, inMs: input.retry.atMs - input.nowMs }
    : { kind: 'resync' as const, inMs: input.lastPassAtMs + input.policy.resyncIntervalMs - input.nowMs };
  const wake =
    input.zoneFailoverDueInMs !== undefined && input.zoneFailoverDueInMs < timed.inMs
      ? { kind: 'zone' as const, inMs: input.zoneFailoverDueInMs }
      : timed;
  return { kind: wake.kind, inMs: Math.max(minimumIntervalMs, wake.inMs) };
}
