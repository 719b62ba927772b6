// Status conditions of a KafkaCluster, built as data. Time is an argument so
// workflows pass their deterministic clock.
import type { conditionTypes } from '../crd/kafka-cluster.ts';

export type ConditionType = (typeof conditionTypes)[number];

export interface Condition {
  type: ConditionType;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration: number;
  lastTransitionTime: string;
}

export function buildCondition(
  type: ConditionType,
  status: Condition['status'],
  reason: string,
  message: string,
  generation: number,
  now: Date,
): Condition {
  return {
    type,
    status,
    reason,
    message,
    observedGeneration: generation,
    lastTransitionTime: now.toISOString(),
  };
}

/**
 * The conditions after an update: each updated type replaces the one before
 * (keeping its lastTransitionTime when the status did not change), the
 * others stay. A merge patch would replace the whole list instead.
 */
export function mergeConditions(current: readonly Condition[], updates: readonly Condition[]): Condition[] {
  const merged = new Map(current.map((c) => [c.type, c]));
  for (const update of updates) {
    const before = merged.get(update.type);
    merged.set(
      update.type,
      before && before.status === update.status
        ? { ...update, lastTransitionTime: before.lastTransitionTime }
        : update,
    );
  }
  return [...merged.values()];
}
