// Signals, queries and updates of the cluster workflow, shared by the
// watcher, the CLI and the workflows themselves.
import { defineQuery, defineSignal } from '@temporalio/workflow';

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
}

export const specSignal = defineSignal<[SpecChange]>('spec');
export const stateQuery = defineQuery<ClusterWorkflowState>('state');

export const clusterWorkflowId = (namespace: string, name: string): string =>
  `kafkacluster/${namespace}/${name}`;
