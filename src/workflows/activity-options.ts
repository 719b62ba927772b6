// Activity options shared by the workflows: quick Kubernetes and Kafka calls,
// and long waits that must heartbeat (so a dead worker is noticed within
// seconds and the wait resumes on another) and may take as long as a slow
// broker needs.
import type { ActivityOptions } from '@temporalio/workflow';

export const quickCall: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { maximumInterval: '30 seconds' },
};

export const longWait: ActivityOptions = {
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { maximumInterval: '30 seconds' },
};

/** Reads whose failure the workflow handles itself (e.g. Kafka unreachable: plan without its view). */
export const bestEffortRead: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3, maximumInterval: '5 seconds' },
};
