// Turns KafkaCluster changes into workflow signals: signal-with-start of
// kafkacluster/<ns>/<name> carrying uid and generation, once per generation
// (a relist or a bookmark-less reconnect re-delivers objects; those are not
// signalled again). A deletion wakes the workflow so it sees the object gone.
// A watcher that starts (or takes over the Lease) reads, for each cluster it
// has no memory of, the last spec signal in the workflow's history (newest
// first, from the server: no worker needed), so that a new leader does not
// signal again what the old one did. Signals are idempotent on the workflow
// side too (older or equal generations are ignored), so when the history
// does not tell (a workflow that continued as new long ago), signalling is
// harmless.
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { clusterWorkflowId, driftSignal, specSignal, type SpecChange } from '../workflows/messages.ts';
import type { ClusterObject } from './kafka-cluster-watch.ts';

/** History pages (of 100 events, newest first) read to find the last spec signal. */
const historyPagesToRead = 3;

export class ClusterSignaller {
  readonly #client: Client;
  readonly #taskQueue: string;
  /** Last generation signalled, by uid. */
  readonly #signalled = new Map<string, number>();
  readonly #tearingDown = new Set<string>();
  signalsSent = 0;

  constructor(client: Client, taskQueue: string) {
    this.#client = client;
    this.#taskQueue = taskQueue;
  }

  async changed(cluster: ClusterObject): Promise<void> {
    if (!this.#signalled.has(cluster.uid)) {
      const seen = await this.#lastSignalled(clusterWorkflowId(cluster.namespace, cluster.name)).catch(
        () => undefined,
      );
      if (seen?.uid === cluster.uid) this.#signalled.set(cluster.uid, seen.generation);
    }
    if ((this.#signalled.get(cluster.uid) ?? 0) >= cluster.generation) return;
    await this.#client.workflow.signalWithStart('kafkaClusterWorkflow', {
      workflowId: clusterWorkflowId(cluster.namespace, cluster.name),
      taskQueue: this.#taskQueue,
      args: [{ namespace: cluster.namespace, name: cluster.name, uid: cluster.uid }],
      signal: specSignal,
      signalArgs: [{ uid: cluster.uid, generation: cluster.generation }],
    });
    this.#signalled.set(cluster.uid, cluster.generation);
    this.signalsSent++;
  }

  /** The last spec signal the workflow's current run received, or its starting generation. */
  async #lastSignalled(workflowId: string): Promise<SpecChange | undefined> {
    let nextPageToken: Uint8Array | undefined;
    for (let page = 0; page < historyPagesToRead; page++) {
      const response = await this.#client.workflowService.getWorkflowExecutionHistoryReverse({
        namespace: this.#client.options.namespace,
        execution: { workflowId },
        maximumPageSize: 100,
        ...(nextPageToken ? { nextPageToken } : {}),
      });
      for (const event of response.history?.events ?? []) {
        const signal = event.workflowExecutionSignaledEventAttributes;
        const payload = signal?.input?.payloads?.[0];
        if (signal?.signalName === specSignal.name && payload) {
          return defaultPayloadConverter.fromPayload<SpecChange>(payload);
        }
        const start = event.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
        if (start) {
          const input = defaultPayloadConverter.fromPayload<{ uid: string; lastSeenGeneration?: number }>(
            start,
          );
          return input.lastSeenGeneration === undefined
            ? undefined
            : { uid: input.uid, generation: input.lastSeenGeneration };
        }
      }
      if (!response.nextPageToken?.length) return undefined;
      nextPageToken = response.nextPageToken;
    }
    return undefined;
  }

  /** Deletion asked for: wake (or start) the workflow to tear the cluster down; once per incarnation. */
  async deleting(cluster: ClusterObject): Promise<void> {
    if (this.#tearingDown.has(cluster.uid)) return;
    await this.#client.workflow.signalWithStart('kafkaClusterWorkflow', {
      workflowId: clusterWorkflowId(cluster.namespace, cluster.name),
      taskQueue: this.#taskQueue,
      args: [{ namespace: cluster.namespace, name: cluster.name, uid: cluster.uid }],
      signal: driftSignal,
      signalArgs: [{ reason: `KafkaCluster ${cluster.namespace}/${cluster.name} deleted`, deleting: true }],
    });
    this.#tearingDown.add(cluster.uid);
  }

  async deleted(cluster: ClusterObject): Promise<void> {
    this.#tearingDown.delete(cluster.uid);
    this.#signalled.delete(cluster.uid);
    await this.#client.workflow
      .getHandle(clusterWorkflowId(cluster.namespace, cluster.name))
      .signal(driftSignal, { reason: `KafkaCluster ${cluster.namespace}/${cluster.name} deleted` })
      .catch(() => undefined); // no workflow (never started, or ended): nothing to wake
  }
}
