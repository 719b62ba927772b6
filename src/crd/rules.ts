// A cross-field rule of the KafkaCluster spec, written once in both forms it
// is enforced in: a CEL expression the API server checks at admission
// (x-kubernetes-validations in the generated CRD) and a TypeScript predicate
// zod checks when the workflow reads a spec. Both carry the same message, so
// a user sees the same words wherever the spec is refused.
import type { z } from 'zod';

export interface Rule<T> {
  /** CEL, evaluated with `self` bound to the object the rule is attached to. */
  cel: string;
  /** Optional transition rule over `oldSelf`: checked on updates only, by the API server alone. */
  transition?: true;
  /**
   * Checked at admission only (ratcheted by the API server: an unchanged value
   * that broke it before still passes), so a cluster made before the rule keeps working.
   */
  admissionOnly?: true;
  message: string;
  /** CEL building a more precise message at admission (e.g. naming the offending key). */
  messageExpression?: string;
  /** The same precise message for zod. @default message */
  messageFor?: (value: T) => string;
  /** Field the message is about, relative to the object, for zod's issue path. */
  path?: (string | number)[];
  holds: (value: T) => boolean;
}

/** The x-kubernetes-validations entries of a list of rules. */
export function celValidations<T>(
  rules: readonly Rule<T>[],
): { rule: string; message: string; messageExpression?: string; fieldPath?: string }[] {
  return rules.map((r) => ({
    rule: r.cel,
    message: r.message,
    ...(r.messageExpression ? { messageExpression: r.messageExpression } : {}),
    ...(r.path && r.path.length > 0 ? { fieldPath: `.${r.path.join('.')}` } : {}),
  }));
}

/** Adds the non-transition rules to a zod schema as checks, each reported at its path. */
export function withRules<S extends z.ZodType>(schema: S, rules: readonly Rule<z.output<S>>[]): S {
  // meta() last: it describes the final instance, the one toJSONSchema sees.
  return schema
    .superRefine((value, ctx) => {
      for (const rule of rules) {
        if (rule.transition || rule.admissionOnly || rule.holds(value)) continue;
        ctx.addIssue({
          code: 'custom',
          message: rule.messageFor?.(value) ?? rule.message,
          path: rule.path ?? [],
        });
      }
    })
    .meta({ 'x-kubernetes-validations': celValidations(rules) }) as unknown as S;
}
