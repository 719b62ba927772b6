// Kubernetes API errors sorted into those a retry can cure (409, 429, 5xx,
// network errors: rethrown as they are, for the activity's retry policy) and
// those it cannot (validation and other 4xx: KubernetesRejected, from the
// vocabulary in src/domain/failures.ts, with the API server's message).
import { failure } from '../domain/failures.ts';

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
    return failure('KubernetesRejected', `${what}: ${message}`);
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
