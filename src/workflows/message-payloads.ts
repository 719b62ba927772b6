// What the workflows accept in their signals and Updates. Anyone who can reach
// the Temporal server can send them, by hand or from an old operator, so each
// payload is checked before it touches state: a bad signal is logged and
// dropped (a signal cannot answer), a bad Update is refused by its validator
// with the reason. Bounds keep one payload from filling a history.
//
// Checked by hand rather than with zod: the SDK evaluates every module of the
// bundle again in each workflow's context, and zod alone costs each cached
// workflow about a megabyte (see spec-check.ts).
import { log } from '@temporalio/workflow';

/** Checks one field; returns what is wrong with it, or undefined. */
type FieldCheck = (value: unknown) => string | undefined;

interface Field {
  check: FieldCheck;
  optional?: boolean;
}

/** A payload's checker: the payload with only its known fields, or its problems. */
export type PayloadSchema<T> = (payload: unknown) => { value: T } | { problems: string[] };

const text =
  (max: number, { min = 0, nonBlank }: { min?: number; nonBlank?: string } = {}): FieldCheck =>
  (value) => {
    if (typeof value !== 'string') return 'expected a string';
    if (value.length > max) return `too long: at most ${max} characters`;
    if (value.length < min) return `too short: at least ${min} character${min === 1 ? '' : 's'}`;
    if (nonBlank !== undefined && value.trim() === '') return nonBlank;
    return undefined;
  };

const integer =
  (min: number, max: number): FieldCheck =>
  (value) =>
    typeof value !== 'number' || !Number.isInteger(value)
      ? 'expected an integer'
      : value < min || value > max
        ? `out of range: from ${min} to ${max}`
        : undefined;

const boolean: FieldCheck = (value) => (typeof value === 'boolean' ? undefined : 'expected a boolean');

const optional = (check: FieldCheck): Field => ({ check, optional: true });

function object<T>(fields: { [K in keyof T]-?: Field | FieldCheck }): PayloadSchema<T> {
  return (payload) => {
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
      return { problems: ['expected an object'] };
    const given = payload as Record<string, unknown>;
    const problems: string[] = [];
    const value: Record<string, unknown> = {};
    for (const [name, spec] of Object.entries(fields) as [string, Field | FieldCheck][]) {
      const field = typeof spec === 'function' ? { check: spec } : spec;
      const fieldValue = given[name];
      if (fieldValue === undefined) {
        if (!field.optional) problems.push(`${name}: required`);
        continue;
      }
      const problem = field.check(fieldValue);
      if (problem) problems.push(`${name}: ${problem}`);
      // Unknown fields are dropped, so nothing unchecked reaches state.
      else value[name] = fieldValue;
    }
    return problems.length > 0 ? { problems } : { value: value as T };
  };
}

/** Kubernetes uids are 36 characters; room for any other form without letting a payload grow. */
const uid = text(128, { min: 1 });
const generation = integer(1, Number.MAX_SAFE_INTEGER);
const workflowId = text(1000, { min: 1 });

export const payloads = {
  spec: object<{ uid: string; generation: number }>({ uid, generation }),
  drift: object<{ reason: string; deleting?: boolean }>({ reason: text(1024), deleting: optional(boolean) }),
  roll: object<{ reason: string }>({ reason: text(1024, { nonBlank: 'give a reason for the roll' }) }),
  rotateCertificates: object<{ reason: string; ca?: boolean }>({
    reason: text(1024, { nonBlank: 'give a reason for the rotation' }),
    ca: optional(boolean),
  }),
  drill: object<{ zone: string; hold?: string }>({ zone: text(63, { min: 1 }), hold: optional(text(32)) }),
  requestRollPermit: object<{ holder: string; limit: number }>({
    holder: workflowId,
    limit: integer(1, 1000),
  }),
  releaseRollPermit: object<{ holder: string }>({ holder: workflowId }),
};

/** The payload of a signal when it is valid; otherwise undefined, after a warning in the worker's log. */
export function validSignal<T>(schema: PayloadSchema<T>, signal: string, payload: unknown): T | undefined {
  const checked = schema(payload);
  if ('value' in checked) return checked.value;
  log.warn(`ignored a ${signal} signal with an invalid payload: ${checked.problems.join('; ')}`);
  return undefined;
}

/** For Update validators: throws with the reason when the payload is not valid. */
export function requireValidUpdate(schema: PayloadSchema<unknown>, update: string, payload: unknown): void {
  const checked = schema(payload);
  if ('problems' in checked) throw new Error(`invalid ${update} request: ${checked.problems.join('; ')}`);
}
