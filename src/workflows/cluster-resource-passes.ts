// The loop shared by the workflows that reconcile all resources of one kind
// for one KafkaCluster (its KafkaUsers, its KafkaTopics): one workflow per
// cluster, not one per resource, so that thousands of them cost one workflow
// and a few batched Admin calls per pass. The watcher signals it when any of
// them changes; it also passes on its own every resync interval (drift in
// Kafka, certificates coming due). Each pass is one activity that reads
// everything and brings Kafka in line: signals that arrive during a pass are
// folded into the next one. Continues as new every 100 passes, so its
// history stays small however long it lives.
import {
  condition,
  continueAsNew,
  setCurrentDetails,
  setHandler,
  workflowInfo,
  type SignalDefinition,
} from '@temporalio/workflow';

export interface ClusterResourcesInput {
  namespace: string;
  cluster: string;
  /** How long between passes without a signal. @default 5 minutes */
  resyncMs?: number;
}

const passesPerRun = 100;

export async function clusterResourcePasses<Outcome extends { clusterGone: boolean }>(
  input: ClusterResourcesInput,
  options: {
    changed: SignalDefinition<[{ [key: string]: string }]>;
    pass: () => Promise<Outcome>;
    details: (outcome: Outcome, pass: number) => string;
    waitSummary: string;
    /** A shorter wait before the next pass (work in progress to follow), when the outcome asks for one. */
    followUpMs?: (outcome: Outcome) => number | undefined;
  },
): Promise<{ passes: number }> {
  let changed = true;
  setHandler(options.changed, () => void (changed = true));
  for (let pass = 1; ; pass++) {
    changed = false;
    const outcome = await options.pass();
    setCurrentDetails(options.details(outcome, pass));
    if (outcome.clusterGone && !changed) return { passes: pass };
    if (pass >= passesPerRun || workflowInfo().continueAsNewSuggested) {
      await continueAsNew(input);
    }
    const resync = input.resyncMs ?? 300_000;
    await condition(() => changed, Math.min(resync, options.followUpMs?.(outcome) ?? resync), {
      summary: options.waitSummary,
    });
  }
}
