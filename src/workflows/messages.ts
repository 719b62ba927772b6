// Signals, queries and updates of the cluster workflow, shared by the
// watcher, the CLI and the workflows themselves.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

/** A change of the KafkaCluster seen by the watcher; the spec is a hint, re-read before acting. */
export interface SpecChange {
  uid: string;
  generation: number;
}

export interface ClusterWorkflowState {
  uid: string;
  lastSeenGeneration: number;
  lastPlannedGeneration: number;
  operation: { type: string; step: string; workflowId: string } | undefined;
  invalidSpec: string | undefined;
  /** Paused by `keelson pause` (spec.paused is reported in status separately). */
  paused: boolean;
  /** A forced roll asked for by `keelson roll`, not started yet. */
  forcedRoll: { reason: string } | undefined;
}

export const specSignal = defineSignal<[SpecChange]>('spec');
export const stateQuery = defineQuery<ClusterWorkflowState>('state');

/** Stop starting operations (one running finishes). Refused when already paused. */
export const pauseUpdate = defineUpdate<{ paused: true }, []>('pause');
/** Start operations again. Refused when not paused. */
export const resumeUpdate = defineUpdate<{ paused: false }, []>('resume');
/** Restart every node, safely, even if none is out of date. Refused while paused or with an invalid spec. */
export const rollUpdate = defineUpdate<{ accepted: true }, [{ reason: string }]>('roll');

export const clusterWorkflowId = (namespace: string, name: string): string =>
  `kafkacluster/${namespace}/${name}`;
