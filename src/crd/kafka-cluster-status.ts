// The status of a KafkaCluster: what the operator writes (conditions, the
// current and last operation, node pools, the last drill, backup and restore
// drill). The spec is kafka-cluster.ts; both make the one CRD.
import { z } from 'zod';

/** What a failover drill did, step by step, written when it ends. */
export const DrillReport = z.object({
  zone: z.string(),
  workflowId: z.string(),
  outcome: z.enum(['Succeeded', 'Aborted', 'Refused', 'Failed']),
  message: z.string().optional(),
  startedAt: z.string(),
  finishedAt: z.string(),
  steps: z
    .array(
      z.object({
        name: z.string(),
        startedAt: z.string(),
        finishedAt: z.string().optional(),
        message: z.string().optional(),
      }),
    )
    .max(16),
  /** Seconds from the start of leader evacuation until no partition led from the zone. */
  leaderEvacuationSeconds: z.number().optional(),
  /** Seconds from fail-back until every partition was fully in sync again. */
  recoverySeconds: z.number().optional(),
  checks: z
    .object({
      probes: z.int().min(0),
      failedProbes: z.int().min(0),
      /** Most partitions seen without a leader at one check. */
      maxOfflinePartitions: z.int().min(0),
    })
    .optional(),
});

export const conditionTypes = [
  'Ready',
  'Reconciling',
  'Degraded',
  'Paused',
  'InvalidSpec',
  // False while the operator refuses the backup target (an endpoint or directory it may not use, a Secret not opted in).
  'BackupTargetReady',
] as const;

export const Condition = z.object({
  type: z.enum(conditionTypes),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string().max(128),
  message: z.string().max(32768),
  lastTransitionTime: z.string(),
  observedGeneration: z.int().min(0).optional(),
});

const operationTypes = [
  'provision',
  'scale',
  'roll',
  'configure',
  'upgrade',
  'backup',
  'drill',
  'teardown',
  'repair',
  'failover',
  'expand',
] as const;

/** The last backup that ended, written by the backup workflow. */
export const LastBackup = z.object({
  id: z.string(),
  workflowId: z.string(),
  outcome: z.enum(['Succeeded', 'Failed']),
  startedAt: z.string(),
  finishedAt: z.string(),
  sizeBytes: z.int().min(0).optional(),
  records: z.int().min(0).optional(),
  message: z.string().max(1000).optional(),
});

export const LastRestoreDrill = z.object({
  backupId: z.string(),
  workflowId: z.string(),
  outcome: z.enum(['Succeeded', 'Failed']),
  startedAt: z.string(),
  finishedAt: z.string(),
  /** Partitions whose records and offsets were compared with the backup, and their records. */
  partitions: z.int().min(0).optional(),
  records: z.int().min(0).optional(),
  message: z.string().max(1000).optional(),
});

export const KafkaClusterStatus = z.object({
  observedGeneration: z.int().min(0).optional(),
  conditions: z
    .array(Condition)
    .max(16)
    .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] })
    .optional(),
  brokers: z
    .array(
      z.object({
        id: z.int().min(0),
        pod: z.string(),
        pool: z.string(),
        zone: z.string(),
        version: z.string(),
        ready: z.boolean(),
      }),
    )
    .optional(),
  /**
   * The block of node ids each pool was given and the zone of each of its
   * nodes; kept for the pool's life, and after the pool is removed while any
   * of its pods or claims is left.
   */
  nodePools: z
    .array(
      z.object({
        name: z.string(),
        nodeIdBase: z.int().min(0),
        nodeZones: z.array(z.string().max(63)).max(100).optional(),
      }),
    )
    .max(64)
    .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] })
    .optional(),
  /** "ready/total" brokers, for the printer column. */
  brokersReady: z.string().optional(),
  currentOperation: z
    .object({
      type: z.enum(operationTypes),
      workflowId: z.string(),
      step: z.string(),
      node: z.string().optional(),
      blockedReason: z.string().optional(),
      startedAt: z.string(),
    })
    .optional(),
  lastOperation: z
    .object({
      type: z.enum(operationTypes),
      workflowId: z.string(),
      result: z.enum(['Succeeded', 'Failed', 'Cancelled']),
      message: z.string().optional(),
      startedAt: z.string().optional(),
      finishedAt: z.string(),
    })
    .optional(),
  /** The next try after a pass that did not succeed: a failed or blocked operation, or nodes not ready. */
  retry: z
    .object({
      attempt: z.int().min(1),
      at: z.string(),
      reason: z.string().max(1000),
    })
    .optional(),
  lastDrill: DrillReport.optional(),
  lastBackup: LastBackup.optional(),
  lastRestoreDrill: LastRestoreDrill.optional(),
  kafkaVersion: z.string().optional(),
  metadataVersion: z.string().optional(),
  bootstrapAddress: z.string().optional(),
  /** Where clients outside Kubernetes bootstrap from, per external listener (host:port). */
  externalListeners: z
    .array(z.object({ name: z.string(), type: z.enum(['nodeport', 'loadbalancer']), bootstrap: z.string() }))
    .optional(),
  /** A renewal of the cluster CA under way: its phase (trust-new, reissue, drop-old) and what that phase does. */
  /**
   * How far the cluster is on its way to TLS: plaintext; tls-added, tls-used
   * (a plaintext cluster given spec.security, one roll each); upgraded (it
   * got there); secured (created secured).
   */
  securityStage: z.enum(['plaintext', 'tls-added', 'tls-used', 'secured', 'upgraded']).optional(),
  caRenewal: z.object({ phase: z.enum(['trust-new', 'reissue', 'drop-old']), step: z.string() }).optional(),
  /** A renewal of Keelson's clients CA under way: its phase and what it does. */
  clientsCaRenewal: z
    .object({ phase: z.enum(['trust-new', 'reissue', 'drop-old']), step: z.string() })
    .optional(),
  /** Each certificate of a secured cluster: its Secret and when it expires (never a key). */
  certificates: z
    .array(
      z.object({
        secret: z.string(),
        kind: z.enum(['cluster-ca', 'clients-ca', 'node', 'operator']),
        notAfter: z.string(),
        serial: z.string(),
        pod: z.string().optional(),
        mark: z.string().optional(),
        userProvided: z.literal(true).optional(),
      }),
    )
    .optional(),
});

export type KafkaClusterStatus = z.output<typeof KafkaClusterStatus>;
