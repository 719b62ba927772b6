// The KafkaUser and KafkaTopic collections for the list/watch loop, and the
// signal each change turns into: it wakes (or starts) the workflow of its
// cluster that reconciles every resource of that kind in one pass. Signalled
// once per change that matters (a new generation, a rotation asked for, a
// deletion asked for): the status writes of the workflow itself, and a
// relist re-delivering unchanged objects, signal nothing.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import { group, version } from '../crd/kafka-cluster-names.ts';
import { topicPlural } from '../crd/kafka-topic-names.ts';
import { userPlural } from '../crd/kafka-user-names.ts';
import { rotateCredentialsAnnotation } from '../domain/kafka-users.ts';
import { signalNames, topicsWorkflowId, usersWorkflowId } from '../domain/workflow-ids.ts';
import {
  customObjects,
  listWatch,
  type RawObject,
  type WatchEventKind,
  type WatchOptions,
} from './list-watch.ts';

interface ResourceKind {
  plural: string;
  workflowType: string;
  workflowId: (namespace: string, cluster: string) => string;
  signal: string;
  /** The signal's argument, naming the resource that changed. */
  signalArg: (name: string) => Record<string, string>;
  /** Annotations whose change is a request to act on. */
  requestAnnotations: string[];
}

export const userKind: ResourceKind = {
  plural: userPlural,
  workflowType: 'kafkaUsersWorkflow',
  workflowId: usersWorkflowId,
  signal: signalNames.usersChanged,
  signalArg: (user) => ({ user }),
  requestAnnotations: [rotateCredentialsAnnotation],
};

export const topicKind: ResourceKind = {
  plural: topicPlural,
  workflowType: 'kafkaTopicsWorkflow',
  workflowId: topicsWorkflowId,
  signal: signalNames.topicsChanged,
  signalArg: (topic) => ({ topic }),
  requestAnnotations: [],
};

export class ClusterResourceSignaller {
  readonly kind: ResourceKind;
  readonly #client: Client;
  readonly #taskQueue: string;
  /** What was last signalled for each resource, by uid. */
  readonly #signalled = new Map<string, string>();
  signalsSent = 0;

  constructor(kind: ResourceKind, client: Client, taskQueue: string) {
    this.kind = kind;
    this.#client = client;
    this.#taskQueue = taskQueue;
  }

  async changed(raw: RawObject & { spec?: { cluster?: unknown } }): Promise<void> {
    const m = raw.metadata;
    const cluster = raw.spec?.cluster;
    if (!m?.uid || !m.namespace || !m.name || typeof cluster !== 'string') return;
    const change = [
      m.generation ?? 0,
      ...this.kind.requestAnnotations.map((a) => m.annotations?.[a] ?? ''),
      Boolean(m.deletionTimestamp),
    ].join('/');
    if (this.#signalled.get(m.uid) === change) return;
    await this.#client.workflow.signalWithStart(this.kind.workflowType, {
      workflowId: this.kind.workflowId(m.namespace, cluster),
      taskQueue: this.#taskQueue,
      args: [{ namespace: m.namespace, cluster }],
      signal: this.kind.signal,
      signalArgs: [this.kind.signalArg(m.name)],
    });
    this.#signalled.set(m.uid, change);
    this.signalsSent++;
  }

  deleted(raw: RawObject): void {
    if (raw.metadata?.uid) this.#signalled.delete(raw.metadata.uid);
  }
}

export async function watchClusterResources(
  kube: KubeConfig,
  signaller: ClusterResourceSignaller,
  options: WatchOptions & { event?: (kind: WatchEventKind, detail?: string) => void },
  signal: AbortSignal,
): Promise<void> {
  await listWatch(
    kube,
    customObjects(group, version, signaller.kind.plural),
    {
      changed: (raw) => signaller.changed(raw),
      deleted: async (raw) => signaller.deleted(raw),
      ...(options.event ? { event: options.event } : {}),
    },
    options,
    signal,
  );
}
