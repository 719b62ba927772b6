// The failure taxonomy of Keelson's activities, decided once: which errors a
// retry can cure (Kubernetes 409/429/5xx, network errors, Kafka errors Kafka
// marks retriable) and which it cannot (validation and other 4xx), turned into
// non-retryable ApplicationFailures with a clear message. Workflows catch by
// `type`, never by message.
import { ApplicationFailure } from '@temporalio/activity';

export const failureTypes = [
  'InvalidSpec',
  'UnsafeToRoll',
  'BrokerNotRejoining',
  'PodCannotStart',
  'KubernetesRejected',
  'OwnedByAnotherCluster',
] as const;
export type FailureType = (typeof failureTypes)[number];

const retryableStatus = (code: number): boolean => code === 409 || code === 429 || code >= 500;

/** Rethrows `err` as a non-retryable failure when retrying cannot help; otherwise as it is. */
export function toFailure(err: unknown, what: string): unknown {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'number' && code >= 400 && !retryableStatus(code)) {
    const body = (err as { body?: unknown }).body;
    let message = String(body ?? err);
    try {
      message = (JSON.parse(String(body)) as { message?: string }).message ?? message;
    } catch {
      // not a Kubernetes Status body
    }
    return ApplicationFailure.nonRetryable(`${what}: ${message}`, 'KubernetesRejected');
  }
  return err;
}

/** Runs `action`, classifying whatever it throws. */
export async function classified<T>(what: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (err) {
    throw toFailure(err, what);
  }
}
