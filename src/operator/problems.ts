// What keeps the process from doing its job (no CRD, missing RBAC, Temporal
// unreachable, search attributes missing, …), each with the fix: logged when
// it appears and again every minute while it lasts (a log read later still
// shows it), logged once more when it clears, and listed by /readyz.
import type { Logger } from 'pino';

const repeatEveryMs = 60_000;

export class ProblemBoard {
  readonly #log: Logger;
  readonly #problems = new Map<string, { message: string; loggedAt: number }>();

  constructor(log: Logger) {
    this.#log = log;
  }

  /** Sets (or with undefined, clears) the problem of one check. */
  set(check: string, message: string | undefined): void {
    const known = this.#problems.get(check);
    if (message === undefined) {
      if (known) {
        this.#problems.delete(check);
        this.#log.info({ check }, `resolved: ${known.message}`);
      }
      return;
    }
    const now = Date.now();
    if (known?.message === message && now - known.loggedAt < repeatEveryMs) return;
    this.#problems.set(check, { message, loggedAt: now });
    this.#log.error({ check }, message);
  }

  /** Clears every check whose name starts with `prefix` and is not in `keep`. */
  clearAll(prefix: string, keep: ReadonlySet<string> = new Set()): void {
    for (const check of [...this.#problems.keys()])
      if (check.startsWith(prefix) && !keep.has(check)) this.set(check, undefined);
  }

  list(): string[] {
    return [...this.#problems.values()].map((p) => p.message);
  }
}
