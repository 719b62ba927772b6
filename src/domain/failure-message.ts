// What a user is told when something fails: Temporal wraps failures (child →
// activity → the activity's own error), and only the innermost says why.

/** The innermost message of a failure chain. */
export function rootCause(err: unknown): string {
  let current: unknown = err;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

/** The type of the innermost typed failure of a chain (an ApplicationFailure's `type`), if any. */
export function failureType(err: unknown): string | undefined {
  let type: string | undefined;
  for (let current: unknown = err; current instanceof Error; current = current.cause) {
    const own = (current as { type?: unknown }).type;
    if (typeof own === 'string') type = own;
  }
  return type;
}
