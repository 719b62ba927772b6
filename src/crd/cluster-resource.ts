// What the resources that belong to a KafkaCluster (KafkaUser, KafkaTopic)
// share: the reference to their cluster and the Ready condition in status.
import { z } from 'zod';

/** The KafkaCluster in the same namespace the resource belongs to; fixed once set. */
export const clusterReference = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, 'must be the name of a KafkaCluster');

export const readyConditionTypes = ['Ready'] as const;

export const readyConditions = z
  .array(
    z.object({
      type: z.enum(readyConditionTypes),
      status: z.enum(['True', 'False', 'Unknown']),
      reason: z.string().max(128),
      message: z.string().max(4096),
      lastTransitionTime: z.string(),
      observedGeneration: z.int().min(0).optional(),
    }),
  )
  .optional();
