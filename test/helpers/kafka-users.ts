// KafkaUsers and KafkaTopics in the tests: creating one, and waking (or
// starting) the users or topics workflow of a managed cluster as the watcher
// does.
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { group, userPlural, version } from '../../src/crd/kafka-user.ts';
import { topicPlural } from '../../src/crd/kafka-topic.ts';
import { usersChangedSignal } from '../../src/workflows/kafka-users.ts';
import { topicsChangedSignal } from '../../src/workflows/kafka-topics.ts';
import { topicsWorkflowId, usersWorkflowId } from '../../src/workflows/messages.ts';
import { clusterName, type ManagedCluster } from './managed-cluster.ts';

const kinds = {
  users: {
    kind: 'KafkaUser',
    plural: userPlural,
    workflowType: 'kafkaUsersWorkflow',
    workflowId: usersWorkflowId,
    signal: usersChangedSignal.name,
    signalArg: { user: 'test' },
  },
  topics: {
    kind: 'KafkaTopic',
    plural: topicPlural,
    workflowType: 'kafkaTopicsWorkflow',
    workflowId: topicsWorkflowId,
    signal: topicsChangedSignal.name,
    signalArg: { topic: 'test' },
  },
};

const createResource =
  (resource: keyof typeof kinds) =>
  (
    custom: CustomObjectsApi,
    namespace: string,
    name: string,
    spec: { cluster?: string } & Record<string, unknown>,
  ) =>
    custom.createNamespacedCustomObject({
      group,
      version,
      namespace,
      plural: kinds[resource].plural,
      body: {
        apiVersion: `${group}/${version}`,
        kind: kinds[resource].kind,
        metadata: { name },
        spec: { cluster: clusterName, ...spec },
      },
    });

export const createKafkaUser = createResource('users');
export const createKafkaTopic = createResource('topics');

const signalWorkflow = (resource: keyof typeof kinds) => (cluster: ManagedCluster, resyncMs?: number) =>
  cluster.client.workflow.signalWithStart(kinds[resource].workflowType, {
    workflowId: kinds[resource].workflowId(cluster.namespace, clusterName),
    taskQueue: cluster.taskQueue,
    args: [{ namespace: cluster.namespace, cluster: clusterName, ...(resyncMs ? { resyncMs } : {}) }],
    signal: kinds[resource].signal,
    signalArgs: [kinds[resource].signalArg],
  });

/** Signal-with-start of the cluster's users workflow, as the watcher sends it on a KafkaUser change. */
export const signalUsersWorkflow = signalWorkflow('users');
/** The same for the topics workflow, on a KafkaTopic change. */
export const signalTopicsWorkflow = signalWorkflow('topics');

/** Ends the users and topics workflows (they would otherwise outlive the test), then the cluster. */
export async function closeWithUsers(cluster: ManagedCluster | undefined): Promise<void> {
  if (!cluster) return;
  for (const { workflowId } of Object.values(kinds))
    await cluster.client.workflow
      .getHandle(workflowId(cluster.namespace, clusterName))
      .terminate('test finished')
      .catch(() => undefined);
  await cluster.close();
}
