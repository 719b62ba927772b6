// The long-lived workflow of one KafkaCluster, id kafkacluster/<ns>/<name>.
// Level-triggered: it wakes when something may need doing (a new generation,
// drift, a request, a deletion), reads the cluster as it is, and acts on
// that, never on the signal's content. One operation at a time runs as a
// child workflow; status is written at step boundaries. Its parts: state
// and its wake predicate (cluster-state.ts), handlers (cluster-handlers.ts),
// the steps of a pass (cluster-pass.ts), the typed dispatch to operation
// workflows (operation-children.ts), and the decisions (src/domain).
import { plannedSecurityStage, securityStageOf, withSecurityStage } from '../domain/tls.ts';
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { pausedCondition } from '../domain/cluster-conditions.ts';
import { minimumIntervalMs, nextTimedWake, scheduleRetry } from '../domain/reconcile-policy.ts';
import { quickCall } from './activity-options.ts';
import { installHandlers } from './cluster-handlers.ts';
import { acceptSpec, converge, planPass, reportPass } from './cluster-pass.ts';
import { tearDown } from './cluster-teardown.ts';
import {
  continueAsNewInput,
  initialState,
  shouldWake,
  zoneFailoverDueInMs,
  type ClusterState,
  type ClusterWorkflowInput,
} from './cluster-state.ts';
import { searchAttributes } from './search-attributes.ts';

export type { ClusterWorkflowInput } from './cluster-state.ts';

const quick = proxyActivities<Activities>(quickCall);

export async function kafkaClusterWorkflow(input: ClusterWorkflowInput): Promise<void> {
  const key = { namespace: input.namespace, name: input.name };
  const state = initialState(input);
  // Search attributes let the Temporal UI and CLI filter every workflow of a cluster.
  const clusterAttributes = {
    [searchAttributes.cluster.name]: [input.name],
    [searchAttributes.namespace.name]: [input.namespace],
  };
  upsertSearchAttributes(clusterAttributes);
  installHandlers(state, key);

  for (;;) {
    await waitForWork(state);
    if (state.pausedReported !== state.paused && !state.deleting) {
      state.pausedReported = state.paused;
      await quick.patchStatus({
        ...key,
        status: { conditions: [pausedCondition(state.paused, state.lastPlannedGeneration, new Date())] },
      });
      continue;
    }
    const signalsBeforeRead = state.specSignals;
    state.lastPassAtMs = Date.now();
    const snapshot = await quick.readCluster(key);
    if (snapshot === null) return; // deleted
    if (snapshot.reconcile) state.reconcile = snapshot.reconcile;
    // The API server is the truth: a generation signalled before this read that
    // it does not have (a forged or corrupt signal) must not hide later changes.
    if (
      state.specSignals === signalsBeforeRead &&
      snapshot.uid === state.uid &&
      state.lastSeenGeneration > snapshot.generation
    ) {
      state.lastSeenGeneration = snapshot.generation;
    }
    if (snapshot.uid !== state.uid) {
      // Deleted and created again under the same name: the new incarnation continues in a new run.
      if (state.successor?.uid === snapshot.uid) {
        await condition(allHandlersFinished);
        await continueAsNew<typeof kafkaClusterWorkflow>({
          ...key,
          uid: snapshot.uid,
          lastSeenGeneration: state.successor.generation,
        });
      }
      return;
    }
    if (snapshot.deleting) {
      await tearDown(state, key, snapshot, clusterAttributes);
      return;
    }
    if (state.successor) {
      state.successor = undefined; // a stale signal of another incarnation
      if (
        state.lastSeenGeneration <= state.lastPlannedGeneration &&
        !state.forcedRoll &&
        !state.certificateRotation &&
        !state.driftReported &&
        !state.drill
      )
        continue;
    }

    const spec = await acceptSpec(state, key, snapshot);
    if (!spec) {
      state.scheduledRetry = undefined; // an invalid spec waits for a new one
      continue;
    }
    const specWasInvalid = state.invalidSpec !== undefined;
    state.invalidSpec = undefined;
    // The stage status records, or for a status that records none the one this workflow last planned.
    const recordedStage =
      snapshot.status?.securityStage ?? (state.lastSpec ? securityStageOf(state.lastSpec) : undefined);
    const staged = withSecurityStage(spec, plannedSecurityStage(recordedStage, spec.security !== undefined));
    state.lastSpec = staged;
    const plan = planPass(state, key, snapshot, staged, clusterAttributes);
    const outcome = await converge(state, plan);
    if (outcome.kind === 'superseded') {
      // Plan again at once from the newer spec; status follows from that plan.
      await quick.patchStatus({ ...key, clear: ['currentOperation'], status: plan.status });
      state.lastPlannedGeneration = plan.generation;
      continue;
    }
    // A pass that did not succeed is tried again with backoff when a retry may cure it; the
    // count starts over with a new generation.
    state.scheduledRetry =
      outcome.kind === 'failed' && outcome.retries
        ? scheduleRetry(
            plan.drift ? state.scheduledRetry : undefined,
            outcome.message,
            Date.now(),
            state.reconcile,
          )
        : undefined;
    await reportPass(state, plan, outcome, specWasInvalid);
    state.lastPlannedGeneration = plan.generation;
    state.requestsHeld = outcome.kind === 'zone-unavailable';

    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof kafkaClusterWorkflow>(continueAsNewInput(input, state));
    }
  }
}

/** Runs recorded before the periodic pass and retries waited only for signals (and a zone's deadline). */
export const periodicPassPatch = 'periodic-pass';

/**
 * Waits until there is something to do: a signal or request, or without one
 * a scheduled retry, an unavailable zone's failover deadline, or the next
 * periodic pass (the level-triggered look that puts drift back). A paused
 * cluster has no periodic pass and no retries.
 */
async function waitForWork(state: ClusterState): Promise<void> {
  if (!patched(periodicPassPatch)) return waitForSignalOrZone(state);
  const zoneDueInMs = zoneFailoverDueInMs(state, Date.now());
  if (state.paused && zoneDueInMs === undefined) {
    await condition(() => shouldWake(state));
    state.requestsHeld = false;
    return;
  }
  const wake = state.paused
    ? { kind: 'zone' as const, inMs: Math.max(minimumIntervalMs, zoneDueInMs ?? 0) }
    : nextTimedWake({
        nowMs: Date.now(),
        lastPassAtMs: state.lastPassAtMs,
        policy: state.reconcile,
        retry: state.scheduledRetry,
        zoneFailoverDueInMs: zoneDueInMs,
      });
  const summary = {
    retry: `retry ${state.scheduledRetry?.attempt ?? ''} of the last pass`,
    zone: `failover deadline of zone ${state.zoneOutage?.zone ?? ''}`,
    resync: 'periodic pass',
  }[wake.kind];
  const woken = await condition(() => shouldWake(state), wake.inMs, { summary });
  state.requestsHeld = false;
  if (!woken)
    state.driftReported = wake.kind === 'zone' ? `zone ${state.zoneOutage?.zone} unavailable` : summary;
}

async function waitForSignalOrZone(state: ClusterState): Promise<void> {
  const dueInMs = zoneFailoverDueInMs(state, Date.now());
  const woken =
    dueInMs === undefined
      ? (await condition(() => shouldWake(state)), true)
      : await condition(() => shouldWake(state), Math.max(1_000, dueInMs));
  state.requestsHeld = false;
  if (!woken) state.driftReported = `zone ${state.zoneOutage?.zone} unavailable`;
}
