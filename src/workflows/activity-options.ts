// Activity options shared by the workflows: quick Kubernetes and Kafka calls,
// and long waits that must heartbeat (so a dead worker is noticed within
// seconds and the wait resumes on another) and may take as long as a slow
// broker needs. Workflows name their activity proxies after these kinds of
// call (quick, waits, reads, …), not after a system: one option set serves
// Kubernetes, Kafka and Temporal activities alike.
import type { ActivityOptions } from '@temporalio/workflow';

export const quickCall: ActivityOptions = {
  // Short: after a worker dies mid-call, this is how long until the call is tried again elsewhere.
  startToCloseTimeout: '30 seconds',
  retry: { maximumInterval: '30 seconds' },
};

export const longWait: ActivityOptions = {
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { maximumInterval: '30 seconds' },
};

/**
 * Waiting until a step is safe, inside one activity that polls and
 * heartbeats: as long as the cluster needs (a slow catch-up takes hours),
 * while a dead worker is noticed within seconds and a cancellation arrives
 * within one heartbeat.
 */
export const safetyWait: ActivityOptions = {
  startToCloseTimeout: '24 hours',
  heartbeatTimeout: '10 seconds',
  retry: { maximumInterval: '30 seconds' },
};

/** Reads whose failure the workflow handles itself (e.g. Kafka unreachable: plan without its view). */
export const bestEffortRead: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3, maximumInterval: '5 seconds' },
};

/** A live check that must not outlast its interval; a failed attempt (e.g. a dead worker) is not retried. */
export const probeCall: ActivityOptions = {
  startToCloseTimeout: '25 seconds',
  retry: { maximumAttempts: 1 },
};

/** Backup store and restore checks: a store that stays unreachable fails the backup after five tries. */
export const storeCall: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  retry: { maximumAttempts: 5, maximumInterval: '30 seconds' },
};

/** Copying records to or from a backup: long, heartbeating (a dead worker is replaced within 20 s), tried again where it stopped. */
export const bulkTransfer: ActivityOptions = {
  startToCloseTimeout: '6 hours',
  heartbeatTimeout: '20 seconds',
  retry: { maximumAttempts: 10, maximumInterval: '30 seconds' },
};
