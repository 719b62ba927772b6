// Signals, queries and updates of the cluster workflow, shared by the
// watcher, the CLI and the workflows themselves.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { KafkaClusterStatus } from '../crd/kafka-cluster.ts';
import type { ZoneOutage } from '../domain/zone-outage.ts';
import { signalNames } from '../domain/workflow-ids.ts';

export {
  backupScheduleId,
  backupWorkflowIdPrefix,
  clusterWorkflowId,
  restoreDrillScheduleId,
  restoreWorkflowId,
  rollPermitsWorkflowId,
  topicsWorkflowId,
  usersWorkflowId,
} from '../domain/workflow-ids.ts';

type DrillReport = NonNullable<KafkaClusterStatus['lastDrill']>;

/** A change of the KafkaCluster seen by the watcher; the spec is a hint, re-read before acting. */
export interface SpecChange {
  uid: string;
  generation: number;
}

/**
 * What `keelson status` and the state query show of a cluster workflow: a
 * stable view, documented field by field (the workflow's own bookkeeping
 * stays inside it).
 */
export interface ClusterView {
  uid: string;
  /** The newest generation signalled, and the one the last pass planned for. */
  lastSeenGeneration: number;
  lastPlannedGeneration: number;
  /** The operation running now, if any. */
  operation: { type: string; step: string; workflowId: string } | undefined;
  /** Why the spec is invalid, while it is. */
  invalidSpec: string | undefined;
  /** Paused by `keelson pause` (spec.paused is reported in status separately). */
  paused: boolean;
  /** A forced roll asked for by `keelson roll`, not started yet. */
  forcedRoll: { reason: string } | undefined;
  /** A certificate rotation asked for and not carried out yet. */
  certificateRotation?: { reason: string } | undefined;
  /** An owned object changed or went missing (e.g. a pod deleted), not planned for yet. */
  driftReported: string | undefined;
  /** A drill asked for with `keelson drill start`: waiting for its turn, or running. */
  drill: { zone: string; holdMs: number; running: boolean } | undefined;
  /** The KafkaCluster is being deleted: tear down at the next safe point, even when paused. */
  deleting?: boolean;
  /** A zone whose pods are all unready: since when, and the replica orders to restore once leadership moved out. */
  zoneOutage: ZoneOutage | undefined;
  /** The report of the last drill that ended (also in status.lastDrill). */
  lastDrill?: DrillReport;
  /** The next try after a pass that did not succeed (also in status.retry). */
  retry?: { attempt: number; at: string; reason: string };
}

export const specSignal = defineSignal<[SpecChange]>(signalNames.spec);
/**
 * An owned pod or claim was deleted or changed: observe and plan again at the
 * current generation. `deleting`: the KafkaCluster itself is being deleted (tear down).
 */
export const driftSignal = defineSignal<[{ reason: string; deleting?: boolean }]>(signalNames.drift);
export const stateQuery = defineQuery<ClusterView>('state');

/** Stop starting operations (one running finishes). Refused when already paused. */
export const pauseUpdate = defineUpdate<{ paused: true }, []>('pause');
/** Start operations again. Refused when not paused. */
export const resumeUpdate = defineUpdate<{ paused: false }, []>('resume');
/** Restart every node, safely, even if none is out of date. Refused while paused or with an invalid spec. */
export const rollUpdate = defineUpdate<{ accepted: true }, [{ reason: string }]>('roll');
/**
 * Issue every node certificate (and Keelson's own) of a secured cluster
 * again now, and roll the nodes onto them under every roll rule; with `ca`,
 * renew the cluster CA in its three phases instead. Refused when the cluster
 * is not secured, while paused, with an invalid spec, while a rotation waits,
 * and for `ca` when the cluster CA is one the user provides.
 */
export const rotateCertificatesUpdate = defineUpdate<{ accepted: true }, [{ reason: string; ca?: boolean }]>(
  'rotateCertificates',
);

/** Sent by the cluster workflow to its running roll when a newer generation arrives: stop at the next safe point. */
export const supersededSignal = defineSignal('superseded');

/** Roll permits: the operator-wide limit on clusters rolling at once (one permits workflow per task queue). */
export const requestRollPermitSignal = defineSignal<[{ holder: string; limit: number }]>(
  signalNames.requestRollPermit,
);
export const releaseRollPermitSignal = defineSignal<[{ holder: string }]>('releaseRollPermit');
export const rollPermitGrantedSignal = defineSignal('rollPermitGranted');
/** Sent to holders now and then; failing to deliver it means the holder is gone and its permit is free. */
export const permitCheckSignal = defineSignal('permitCheck');
export const rollPermitsQuery = defineQuery<{ limit: number; holders: string[]; waiting: string[] }>(
  'rollPermits',
);

/** Start a failover drill of one zone. Refused while paused, with an invalid spec, or while another drill waits or runs. */
export const drillUpdate = defineUpdate<
  { accepted: true; holdMs: number },
  [{ zone: string; hold?: string }]
>('drill');
/** Abort the waiting or running drill: a running one fails back at once. */
export const abortDrillUpdate = defineUpdate<{ aborted: 'waiting' | 'running' }, []>('abortDrill');
/** Sent by the cluster workflow to its running drill. */
export const abortDrillSignal = defineSignal('abortDrill');

/** Start a backup now through the cluster's schedule. Refused when the spec has no backup target. */
export const backupUpdate = defineUpdate<{ scheduleId: string; requestedAt: string }, []>('backup');
