// KafkaUsers in the tests: creating one, and waking (or starting) the users
// workflow of a managed cluster as the watcher does.
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { group, userPlural, version } from '../../src/crd/kafka-user.ts';
import { usersChangedSignal } from '../../src/workflows/kafka-users.ts';
import { usersWorkflowId } from '../../src/workflows/messages.ts';
import { clusterName, type ManagedCluster } from './managed-cluster.ts';

export const createKafkaUser = (
  custom: CustomObjectsApi,
  namespace: string,
  name: string,
  spec: { cluster?: string } & Record<string, unknown>,
) =>
  custom.createNamespacedCustomObject({
    group,
    version,
    namespace,
    plural: userPlural,
    body: {
      apiVersion: `${group}/${version}`,
      kind: 'KafkaUser',
      metadata: { name },
      spec: { cluster: clusterName, ...spec },
    },
  });

/** Signal-with-start of the cluster's users workflow, as the watcher sends it on a KafkaUser change. */
export const signalUsersWorkflow = (cluster: ManagedCluster, resyncMs?: number) =>
  cluster.client.workflow.signalWithStart('kafkaUsersWorkflow', {
    workflowId: usersWorkflowId(cluster.namespace, clusterName),
    taskQueue: cluster.taskQueue,
    args: [{ namespace: cluster.namespace, cluster: clusterName, ...(resyncMs ? { resyncMs } : {}) }],
    signal: usersChangedSignal,
    signalArgs: [{ user: 'test' }],
  });

/** Ends the users workflow (it would otherwise outlive the test), then the cluster. */
export async function closeWithUsers(cluster: ManagedCluster | undefined): Promise<void> {
  if (!cluster) return;
  await cluster.client.workflow
    .getHandle(usersWorkflowId(cluster.namespace, clusterName))
    .terminate('test finished')
    .catch(() => undefined);
  await cluster.close();
}
