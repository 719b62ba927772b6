// The users of one KafkaCluster: one workflow per cluster reconciling every
// KafkaUser of it in one activity per pass (see cluster-resource-passes.ts).
import { defineSignal, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { signalNames } from '../domain/workflow-ids.ts';
import { clusterResourcePasses, type ClusterResourcesInput } from './cluster-resource-passes.ts';

const usersCall: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  // A cluster that is not ready yet is retried on this schedule, not given up on.
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute' },
};
const users = proxyActivities<Activities>(usersCall);

export const usersChangedSignal = defineSignal<[{ user: string }]>(signalNames.usersChanged);

export type UsersWorkflowInput = ClusterResourcesInput;

export async function kafkaUsersWorkflow(input: UsersWorkflowInput): Promise<{ passes: number }> {
  return clusterResourcePasses(input, {
    changed: usersChangedSignal,
    pass: () =>
      users.reconcileUsers.executeWithOptions(
        { ...usersCall, summary: 'reconcile every KafkaUser of the cluster' },
        [{ namespace: input.namespace, cluster: input.cluster }],
      ),
    details: (outcome, pass) =>
      `**Users of** ${input.namespace}/${input.cluster}: ${outcome.ready} ready, ${outcome.notReady} not ready, ${outcome.removed} removed (pass ${pass})`,
    waitSummary: 'wait for a KafkaUser change, or the next periodic pass',
  });
}
