// Helpers for tests that drive a KafkaCluster resource through its workflow:
// create the resource, read its status, wait for Ready at a generation, and
// count how often each node's broker process started (from the node agent's logs).
import type { CustomObjectsApi, EventsV1Api } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  apiVersion,
  group,
  kind,
  plural,
  version,
  type KafkaClusterStatus,
} from '../../src/crd/kafka-cluster.ts';
import type { Client } from '@temporalio/client';
import { clusterWorkflowId, specSignal } from '../../src/workflows/messages.ts';
import { env, eventually } from './cluster.ts';

export async function createKafkaCluster(
  custom: CustomObjectsApi,
  namespace: string,
  name: string,
  spec: unknown,
): Promise<string> {
  const created = (await custom.createNamespacedCustomObject({
    group,
    version,
    namespace,
    plural,
    body: { apiVersion, kind, metadata: { name }, spec },
  })) as { metadata: { uid: string } };
  return created.metadata.uid;
}

export async function readClusterStatus(
  custom: CustomObjectsApi,
  namespace: string,
  name: string,
): Promise<KafkaClusterStatus | undefined> {
  const object = (await custom.getNamespacedCustomObject({ group, version, namespace, plural, name })) as {
    status?: KafkaClusterStatus;
  };
  return object.status;
}

/**
 * Waits for Ready at `generation`. A failure the operator will not retry
 * fails at once; a retried one (Degraded for a while) is waited through. On
 * timeout the error carries the last conditions seen, so a stuck cluster says
 * why instead of only that it timed out.
 */
export async function readyAtGeneration(
  custom: CustomObjectsApi,
  namespace: string,
  name: string,
  generation: number,
  timeoutMs = 300_000,
): Promise<KafkaClusterStatus> {
  let last = 'no status yet';
  const outcome = await eventually(
    `${namespace}/${name} to be Ready at generation ${generation}`,
    async (): Promise<{ status: KafkaClusterStatus } | { failedForGood: string } | undefined> => {
      const status = await readClusterStatus(custom, namespace, name);
      last = `observedGeneration ${status?.observedGeneration}, conditions ${JSON.stringify(status?.conditions ?? [])}`;
      const degraded = status?.conditions?.find((c) => c.type === 'Degraded' && c.status === 'True');
      // Only a failure of this generation: an earlier one stays until the pass of the new spec reports.
      if (
        degraded &&
        (degraded.observedGeneration ?? 0) >= generation &&
        /not retried/.test(degraded.message ?? '')
      )
        return { failedForGood: degraded.message ?? '' };
      const ready = status?.conditions?.find((c) => c.type === 'Ready');
      return ready?.status === 'True' && status?.observedGeneration === generation ? { status } : undefined;
    },
    timeoutMs,
    1_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; last seen: ${last}`);
  });
  if ('failedForGood' in outcome)
    throw new Error(`${namespace}/${name} failed for good: ${outcome.failedForGood}`);
  return outcome.status;
}

/** How many times the node agent saw the broker of `pod` finish starting. */
export const brokerStarts = (namespace: string, pod: string): number =>
  readFileSync(join(env.nodeAgent.podLogs, `${namespace}_${pod}.log`), 'utf8').split('Kafka Server started')
    .length - 1;

/** Events (events.k8s.io/v1) the operator recorded about a KafkaCluster, oldest first. */
export async function clusterEvents(
  events: EventsV1Api,
  namespace: string,
  name: string,
): Promise<{ reason: string; note: string; type: string; pod: string | undefined; time: Date }[]> {
  const list = await events.listNamespacedEvent({
    namespace,
    fieldSelector: `regarding.kind=${kind},regarding.name=${name}`,
  });
  return list.items
    .filter((e) => e.reportingController === 'keelson.dev/operator')
    .map((e) => ({
      reason: e.reason ?? '',
      note: e.note ?? '',
      type: e.type ?? '',
      pod: e.related?.name,
      time: new Date(e.eventTime as unknown as string),
    }))
    .sort((a, b) => a.time.getTime() - b.time.getTime());
}

/**
 * Patches a KafkaCluster's spec with JSON-patch operations and signals its
 * workflow with the new generation, as the watcher would; returns the generation.
 */
export async function changeSpec(
  custom: CustomObjectsApi,
  client: Client,
  cluster: { namespace: string; name: string; uid: string },
  operations: object[],
): Promise<number> {
  const patched = (await custom.patchNamespacedCustomObject({
    group,
    version,
    namespace: cluster.namespace,
    plural,
    name: cluster.name,
    body: operations,
  })) as { metadata: { generation: number } };
  await client.workflow
    .getHandle(clusterWorkflowId(cluster.namespace, cluster.name))
    .signal(specSignal, { uid: cluster.uid, generation: patched.metadata.generation });
  return patched.metadata.generation;
}
