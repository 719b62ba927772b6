// Turns KafkaCluster changes into workflow signals: signal-with-start of
// kafkacluster/<ns>/<name> carrying uid and generation, once per generation
// (a relist or a bookmark-less reconnect re-delivers objects; those are not
// signalled again). A deletion wakes the workflow so it sees the object gone.
// Signals are idempotent on the workflow side too (older or equal
// generations are ignored), so a second watcher signalling is harmless.
import type { Client } from '@temporalio/client';
import { clusterWorkflowId, driftSignal, specSignal } from '../workflows/messages.ts';
import type { ClusterObject } from './kafka-cluster-watch.ts';

export class ClusterSignaller {
  readonly #client: Client;
  readonly #taskQueue: string;
  /** Last generation signalled, by uid. */
  readonly #signalled = new Map<string, number>();
  signalsSent = 0;

  constructor(client: Client, taskQueue: string) {
    this.#client = client;
    this.#taskQueue = taskQueue;
  }

  async changed(cluster: ClusterObject): Promise<void> {
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

  async deleted(cluster: ClusterObject): Promise<void> {
    this.#signalled.delete(cluster.uid);
    await this.#client.workflow
      .getHandle(clusterWorkflowId(cluster.namespace, cluster.name))
      .signal(driftSignal, { reason: `KafkaCluster ${cluster.namespace}/${cluster.name} deleted` })
      .catch(() => undefined); // no workflow (never started, or ended): nothing to wake
  }
}
