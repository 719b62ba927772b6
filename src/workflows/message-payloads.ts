// What the workflows accept in their signals and Updates. Anyone who can reach
// the Temporal server can send them, by hand or from an old operator, so each
// payload is checked before it touches state: a bad signal is logged and
// dropped (a signal cannot answer), a bad Update is refused by its validator
// with the reason. Bounds keep one payload from filling a history.
import { log } from '@temporalio/workflow';
import { z } from 'zod';

const text = (max: number) => z.string().max(max);
/** Kubernetes uids are 36 characters; room for any other form without letting a payload grow. */
const uid = z.string().min(1).max(128);
const generation = z.int().min(1).max(Number.MAX_SAFE_INTEGER);
const workflowId = z.string().min(1).max(1000);

export const payloads = {
  spec: z.object({ uid, generation }),
  drift: z.object({ reason: text(1024), deleting: z.boolean().optional() }),
  roll: z.object({ reason: text(1024).refine((r) => r.trim() !== '', 'give a reason for the roll') }),
  rotateCertificates: z.object({
    reason: text(1024).refine((r) => r.trim() !== '', 'give a reason for the rotation'),
    ca: z.boolean().optional(),
  }),
  drill: z.object({ zone: z.string().min(1).max(63), hold: z.string().max(32).optional() }),
  requestRollPermit: z.object({ holder: workflowId, limit: z.int().min(1).max(1000) }),
  releaseRollPermit: z.object({ holder: workflowId }),
};

const describe = (error: z.ZodError): string =>
  error.issues.map((i) => `${i.path.length > 0 ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; ');

/** The payload of a signal when it is valid; otherwise undefined, after a warning in the worker's log. */
export function validSignal<T>(schema: z.ZodType<T>, signal: string, payload: unknown): T | undefined {
  const parsed = schema.safeParse(payload);
  if (parsed.success) return parsed.data;
  log.warn(`ignored a ${signal} signal with an invalid payload: ${describe(parsed.error)}`);
  return undefined;
}

/** For Update validators: throws with the reason when the payload is not valid. */
export function requireValidUpdate(schema: z.ZodType, update: string, payload: unknown): void {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) throw new Error(`invalid ${update} request: ${describe(parsed.error)}`);
}
