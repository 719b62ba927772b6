// The topics of one KafkaCluster: one workflow per cluster reconciling every
// KafkaTopic of it in one activity per pass (see cluster-resource-passes.ts).
// While replicas move for a replication factor change, it passes every 10 s
// to follow them, clear the throttle and report the topic Ready; after a
// failed Kafka call (a topic created while a broker restarts), in 30 s.
import { defineSignal, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { signalNames } from '../domain/workflow-ids.ts';
import { clusterResourcePasses, type ClusterResourcesInput } from './cluster-resource-passes.ts';

const topicsCall: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '60 seconds',
  // A cluster that is not ready yet is retried on this schedule, not given up on.
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute' },
};
const topics = proxyActivities<Activities>(topicsCall);

export const topicsChangedSignal = defineSignal<[{ topic: string }]>(signalNames.topicsChanged);

export type TopicsWorkflowInput = ClusterResourcesInput;

export async function kafkaTopicsWorkflow(input: TopicsWorkflowInput): Promise<{ passes: number }> {
  return clusterResourcePasses(input, {
    changed: topicsChangedSignal,
    pass: () =>
      topics.reconcileTopics.executeWithOptions(
        { ...topicsCall, summary: 'reconcile every KafkaTopic of the cluster' },
        [{ namespace: input.namespace, cluster: input.cluster }],
      ),
    details: (outcome, pass) =>
      `**Topics of** ${input.namespace}/${input.cluster}: ${outcome.ready} ready, ${outcome.notReady} not ready (${outcome.moving} moving replicas), ${outcome.removed} removed (pass ${pass})`,
    waitSummary: 'wait for a KafkaTopic change, or the next periodic pass',
    followUpMs: (outcome) => (outcome.moving > 0 ? 10_000 : (outcome.failed ?? 0) > 0 ? 30_000 : undefined),
  });
}
