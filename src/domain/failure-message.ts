// What a user is told when something fails: Temporal wraps failures (child →
// activity → the activity's own error), and only the innermost says why.

/** The innermost message of a failure chain. */
export function rootCause(err: unknown): string {
  let current: unknown = err;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
