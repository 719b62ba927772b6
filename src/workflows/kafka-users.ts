// The users of one KafkaCluster: one workflow per cluster, not one per
// KafkaUser, so that thousands of users cost one workflow and a few batched
// Admin calls per pass. The watcher signals it when any KafkaUser of the
// cluster changes; it also passes on its own every resync interval (drift in
// Kafka, certificates coming due). Each pass is one activity that reads
// everything and brings Kafka and the Secrets in line: signals that arrive
// during a pass are folded into the next one. Continues as new every 100
// passes, so its history stays small however long it lives.
import {
  condition,
  continueAsNew,
  defineSignal,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { signalNames } from '../domain/workflow-ids.ts';

const usersCall: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  // A cluster that is not ready yet is retried on this schedule, not given up on.
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute' },
};
const users = proxyActivities<Activities>(usersCall);

export const usersChangedSignal = defineSignal<[{ user: string }]>(signalNames.usersChanged);

export interface UsersWorkflowInput {
  namespace: string;
  cluster: string;
  /** How long between passes without a signal. @default 5 minutes */
  resyncMs?: number;
}

const passesPerRun = 100;

export async function kafkaUsersWorkflow(input: UsersWorkflowInput): Promise<{ passes: number }> {
  let changed = true;
  setHandler(usersChangedSignal, () => void (changed = true));
  for (let pass = 1; ; pass++) {
    changed = false;
    const outcome = await users.reconcileUsers.executeWithOptions(
      { ...usersCall, summary: 'reconcile every KafkaUser of the cluster' },
      [{ namespace: input.namespace, cluster: input.cluster }],
    );
    setCurrentDetails(
      `**Users of** ${input.namespace}/${input.cluster}: ${outcome.ready} ready, ${outcome.notReady} not ready, ${outcome.removed} removed (pass ${pass})`,
    );
    if (outcome.clusterGone && !changed) return { passes: pass };
    if (pass >= passesPerRun || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof kafkaUsersWorkflow>(input);
    }
    await condition(() => changed, input.resyncMs ?? 300_000, {
      summary: 'wait for a KafkaUser change, or the next periodic pass',
    });
  }
}
