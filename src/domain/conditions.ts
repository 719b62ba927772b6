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
