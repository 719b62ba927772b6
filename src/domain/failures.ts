// Keelson's failure vocabulary: every failure an activity or a workflow
// throws on purpose has one of these types, and the type alone decides
// whether a retry may cure it and how the cluster reports it. Anything else
// thrown (a dropped connection, a Kafka error Kafka marks retriable) is a
// plain error, retried by the activity's retry policy.
// The outcome says what a user sees when an operation ends with it:
// - blocked: the operation stopped itself to keep the cluster safe, and
//   waits for a person (Strimzi's "defer and report");
// - refused: the change asked for cannot be made as asked; nothing changed;
// - invalid-spec: the spec itself is wrong;
// - failed: something broke.
import { ApplicationFailure } from '@temporalio/common';

export type FailureOutcome = 'blocked' | 'refused' | 'invalid-spec' | 'failed';

const vocabulary = {
  // The spec
  InvalidSpec: { retryable: false, outcome: 'invalid-spec' },
  // Operations that stop to stay safe
  RollBlocked: { retryable: false, outcome: 'blocked' },
  DrainIncomplete: { retryable: false, outcome: 'blocked' },
  // Changes that cannot be made as asked
  ScaleRefused: { retryable: false, outcome: 'refused' },
  ExpansionRefused: { retryable: false, outcome: 'refused' },
  MetadataVersionRefused: { retryable: false, outcome: 'refused' },
  OwnedByAnotherCluster: { retryable: false, outcome: 'refused' },
  // Kubernetes and the cluster
  KubernetesRejected: { retryable: false, outcome: 'failed' },
  PodCannotStart: { retryable: false, outcome: 'failed' },
  ClusterGone: { retryable: false, outcome: 'failed' },
  NoBrokerReady: { retryable: false, outcome: 'failed' },
  ScratchClusterNotReady: { retryable: false, outcome: 'failed' },
  // Backups and restores
  BackupExists: { retryable: false, outcome: 'refused' },
  BackupNotFound: { retryable: false, outcome: 'failed' },
  BackupCorrupt: { retryable: false, outcome: 'failed' },
  BackupTooLarge: { retryable: false, outcome: 'refused' },
  BackupTargetRefused: { retryable: false, outcome: 'refused' },
  BackupStoreRejected: { retryable: false, outcome: 'failed' },
  BackupStoreUnreachable: { retryable: true, outcome: 'failed' },
  RestoreRefused: { retryable: false, outcome: 'refused' },
  RestoreDrillMismatch: { retryable: false, outcome: 'failed' },
  // Keelson's own state contradicts itself: a bug to report, which no retry cures.
  InternalError: { retryable: false, outcome: 'failed' },
} as const satisfies Record<string, { retryable: boolean; outcome: FailureOutcome }>;

export type FailureType = keyof typeof vocabulary;
export const failureTypes = Object.keys(vocabulary) as FailureType[];

/** A failure of `type`, retryable or not as the vocabulary says. */
export function failure(type: FailureType, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: !vocabulary[type].retryable });
}

/** The type of the innermost typed failure of a chain (Temporal wraps child → activity → cause), if any. */
export function failureType(err: unknown): FailureType | undefined {
  let type: FailureType | undefined;
  for (let current: unknown = err; current instanceof Error; current = current.cause) {
    const own = (current as { type?: unknown }).type;
    if (typeof own === 'string' && own in vocabulary) type = own as FailureType;
  }
  return type;
}

/** How an operation that ended with `err` is reported: anything outside the vocabulary failed. */
export function failureOutcome(err: unknown): FailureOutcome {
  const type = failureType(err);
  return type ? vocabulary[type].outcome : 'failed';
}

/** The condition and Event reason of an operation that ended with `outcome`. */
export const outcomeReason: Record<FailureOutcome, string> = {
  blocked: 'OperationBlocked',
  refused: 'OperationRefused',
  'invalid-spec': 'InvalidSpec',
  failed: 'OperationFailed',
};

/** What the cluster says of an operation that ended with `outcome`. */
export function operationEnded(operation: string, outcome: FailureOutcome, cause: string): string {
  const how = {
    blocked: 'is blocked',
    refused: 'was refused',
    'invalid-spec': 'cannot run: the spec is invalid',
    failed: 'failed',
  }[outcome];
  return `${operation} ${how}: ${cause}`;
}
