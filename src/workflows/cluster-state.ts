// The state of one cluster workflow run, in one object: what the handlers
// record (signals, updates) and what the loop keeps between passes; when the
// loop wakes; what carries over continue-as-new; and the view the state
// query returns.
import type { ChildWorkflowHandle, Workflow } from '@temporalio/workflow';
import { parseDurationMs } from '../crd/duration.ts';
import type { KafkaClusterSpec } from '../crd/kafka-cluster.ts';
import {
  defaultReconcilePolicy,
  type ReconcilePolicy,
  type ScheduledRetry,
} from '../domain/reconcile-policy.ts';
import type { ZoneOutage } from '../domain/zone-outage.ts';
import type { CaRenewalPhase } from '../domain/certificates.ts';
import type { ClusterView, SpecChange } from './messages.ts';

export interface ClusterWorkflowInput {
  namespace: string;
  name: string;
  uid: string;
  /** Carried over continue-as-new. */
  lastPlannedGeneration?: number;
  lastSeenGeneration?: number;
  paused?: boolean;
  zoneOutage?: ZoneOutage;
  /** What the cluster's backup schedule was last made to match (see backupScheduleKey). */
  backupSchedule?: string;
  /** A retry scheduled after a pass that did not succeed. */
  retry?: ScheduledRetry;
  /** A certificate rotation asked for and not carried out yet. */
  certificateRotation?: { token: string; reason: string; ca?: boolean };
}

export interface ClusterState extends ClusterView {
  /** A certificate rotation asked for: its token (recorded on each Secret reissued for it), reason, and whether of the cluster CA. */
  certificateRotation?: { token: string; reason: string; ca?: boolean } | undefined;
  /** The phase of a cluster CA renewal under way, as the last check of the certificates said. */
  caRenewalPhase?: CaRenewalPhase | undefined;
  /** The phase of a renewal of Keelson's clients CA under way, as last seen. */
  clientsCaRenewalPhase?: CaRenewalPhase | undefined;
  /** A signal for another incarnation of the name (deleted and created again), to check. */
  successor: SpecChange | undefined;
  /** Spec signals taken so far; a pass compares it across its read of the cluster. */
  specSignals: number;
  /** What the Paused condition says now; nothing to write until that changes. */
  pausedReported: boolean;
  /** A forced roll or drill that a pass could not start (a zone is out) waits for the next change. */
  requestsHeld: boolean;
  /** What the cluster's backup schedules were last made to match. */
  backupSchedule: string;
  /** The spec of the last plan, for validating drill requests. */
  lastSpec: KafkaClusterSpec | undefined;
  /** The running drill, to abort it. */
  runningDrill: ChildWorkflowHandle<Workflow> | undefined;
  /** The operator's resync interval and retry delays, as the last read of the cluster gave them. */
  reconcile: ReconcilePolicy;
  /** When the last pass began (workflow time): the periodic pass comes a resync interval later. */
  lastPassAtMs: number;
  /** The retry after a pass that did not succeed, until a pass succeeds or the spec changes. */
  scheduledRetry: ScheduledRetry | undefined;
}

export function initialState(input: ClusterWorkflowInput): ClusterState {
  return {
    uid: input.uid,
    lastSeenGeneration: input.lastSeenGeneration ?? 0,
    lastPlannedGeneration: input.lastPlannedGeneration ?? 0,
    operation: undefined,
    invalidSpec: undefined,
    paused: input.paused ?? false,
    forcedRoll: undefined,
    // A zone outage carried over continue-as-new is looked at again at once.
    driftReported: input.zoneOutage ? `zone ${input.zoneOutage.zone} unavailable` : undefined,
    drill: undefined,
    successor: undefined,
    zoneOutage: input.zoneOutage,
    specSignals: 0,
    pausedReported: input.paused ?? false,
    requestsHeld: false,
    backupSchedule: input.backupSchedule ?? 'none',
    lastSpec: undefined,
    runningDrill: undefined,
    reconcile: defaultReconcilePolicy,
    lastPassAtMs: Date.now(),
    scheduledRetry: input.retry,
    certificateRotation: input.certificateRotation,
  };
}

/** Whether the loop has something to do: a deletion, a pause to report, or (unpaused) a change or request. */
export function shouldWake(state: ClusterState): boolean {
  return (
    state.deleting === true ||
    state.pausedReported !== state.paused ||
    (!state.paused &&
      (state.lastSeenGeneration > state.lastPlannedGeneration ||
        (!state.requestsHeld && state.forcedRoll !== undefined) ||
        state.certificateRotation !== undefined ||
        state.driftReported !== undefined ||
        state.successor !== undefined ||
        (!state.requestsHeld && state.drill !== undefined && !state.drill.running)))
  );
}

/** An unavailable zone not failed over yet: how long until its failover is due (the loop wakes then). */
export function zoneFailoverDueInMs(state: ClusterState, nowMs: number): number | undefined {
  return state.zoneOutage && !state.zoneOutage.originalOrder && state.lastSpec
    ? state.zoneOutage.unreadySince + parseDurationMs(state.lastSpec.zoneFailover.after) - nowMs
    : undefined;
}

export function continueAsNewInput(input: ClusterWorkflowInput, state: ClusterState): ClusterWorkflowInput {
  return {
    ...input,
    lastPlannedGeneration: state.lastPlannedGeneration,
    lastSeenGeneration: state.lastSeenGeneration,
    paused: state.paused,
    ...(state.zoneOutage ? { zoneOutage: state.zoneOutage } : {}),
    backupSchedule: state.backupSchedule,
    ...(state.scheduledRetry ? { retry: state.scheduledRetry } : {}),
    ...(state.certificateRotation ? { certificateRotation: state.certificateRotation } : {}),
  };
}

/** What the state query shows: the documented view, never the loop's own bookkeeping. */
export function clusterView(state: ClusterState): ClusterView {
  return {
    uid: state.uid,
    lastSeenGeneration: state.lastSeenGeneration,
    lastPlannedGeneration: state.lastPlannedGeneration,
    operation: state.operation,
    invalidSpec: state.invalidSpec,
    paused: state.paused,
    forcedRoll: state.forcedRoll,
    driftReported: state.driftReported,
    drill: state.drill,
    ...(state.deleting !== undefined ? { deleting: state.deleting } : {}),
    zoneOutage: state.zoneOutage,
    ...(state.lastDrill ? { lastDrill: state.lastDrill } : {}),
    ...(state.scheduledRetry ? { retry: retryView(state.scheduledRetry) } : {}),
    ...(state.certificateRotation
      ? { certificateRotation: { reason: state.certificateRotation.reason } }
      : {}),
  };
}

/** A scheduled retry as status and the state query show it. */
export function retryView(retry: ScheduledRetry): { attempt: number; at: string; reason: string } {
  return {
    attempt: retry.attempt,
    at: new Date(retry.atMs).toISOString(),
    reason: retry.reason.slice(0, 1000),
  };
}
