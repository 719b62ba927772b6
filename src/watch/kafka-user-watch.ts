// The KafkaUser collection for the list/watch loop, and the signal it turns
// into: each KafkaUser change wakes (or starts) the users workflow of its
// cluster, which reconciles every user of that cluster in one pass. Signalled
// once per change that matters (a new generation, a rotation asked for, a
// deletion asked for): the status writes of the workflow itself, and a
// relist re-delivering unchanged objects, signal nothing.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import { group, userPlural, version } from '../crd/kafka-user.ts';
import { rotateCredentialsAnnotation } from '../domain/kafka-users.ts';
import { signalNames, usersWorkflowId } from '../domain/workflow-ids.ts';
import {
  customObjects,
  listWatch,
  type RawObject,
  type WatchEventKind,
  type WatchOptions,
} from './list-watch.ts';

export class UserSignaller {
  readonly #client: Client;
  readonly #taskQueue: string;
  /** What was last signalled for each KafkaUser, by uid. */
  readonly #signalled = new Map<string, string>();
  signalsSent = 0;

  constructor(client: Client, taskQueue: string) {
    this.#client = client;
    this.#taskQueue = taskQueue;
  }

  async changed(raw: RawObject & { spec?: { cluster?: unknown } }): Promise<void> {
    const m = raw.metadata;
    const cluster = raw.spec?.cluster;
    if (!m?.uid || !m.namespace || !m.name || typeof cluster !== 'string') return;
    const change = [
      m.generation ?? 0,
      m.annotations?.[rotateCredentialsAnnotation] ?? '',
      Boolean(m.deletionTimestamp),
    ].join('/');
    if (this.#signalled.get(m.uid) === change) return;
    await this.#client.workflow.signalWithStart('kafkaUsersWorkflow', {
      workflowId: usersWorkflowId(m.namespace, cluster),
      taskQueue: this.#taskQueue,
      args: [{ namespace: m.namespace, cluster }],
      signal: signalNames.usersChanged,
      signalArgs: [{ user: m.name }],
    });
    this.#signalled.set(m.uid, change);
    this.signalsSent++;
  }

  deleted(raw: RawObject): void {
    if (raw.metadata?.uid) this.#signalled.delete(raw.metadata.uid);
  }
}

export async function watchKafkaUsers(
  kube: KubeConfig,
  signaller: UserSignaller,
  options: WatchOptions & { event?: (kind: WatchEventKind, detail?: string) => void },
  signal: AbortSignal,
): Promise<void> {
  await listWatch(
    kube,
    customObjects(kube, group, version, userPlural),
    {
      changed: (raw) => signaller.changed(raw),
      deleted: async (raw) => signaller.deleted(raw),
      ...(options.event ? { event: options.event } : {}),
    },
    options,
    signal,
  );
}
