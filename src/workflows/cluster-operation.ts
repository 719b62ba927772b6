// One operation of a cluster pass: written to status before its child
// workflow starts, the child started (a newer generation stops a roll or a
// zone failover at its next safe point), and how it ended recorded in state,
// status and an Event (blocked, refused and failed told apart).
import { condition, log, patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { conditionsWhileRunning, type PassOutcome } from '../domain/cluster-conditions.ts';
import {
  describeOperation,
  operationName,
  operationWorkflowId,
  type OperationChoice,
} from '../domain/cluster-operations.ts';
import { rootCause } from '../domain/failure-message.ts';
import { failureOutcome, operationEnded, outcomeReason } from '../domain/failures.ts';
import type { ObservedNode } from '../domain/observed.ts';
import { errorRetriesBySelf } from '../domain/reconcile-policy.ts';
import { quickCall } from './activity-options.ts';
import type { PassPlan } from './cluster-pass.ts';
import type { ClusterState } from './cluster-state.ts';
import { supersededSignal } from './messages.ts';
import { startOperation, type OperationResult } from './operation-children.ts';
import { searchAttributes } from './search-attributes.ts';

const quick = proxyActivities<Activities>(quickCall);

/**
 * Runs one operation as a child workflow and records how it ended in status;
 * returns the pass's outcome when the pass ends with it (superseded, failed).
 */
export async function runOperation(
  state: ClusterState,
  plan: PassPlan,
  choice: OperationChoice,
  at: { observed: ObservedNode[]; round: number; pass: number },
): Promise<PassOutcome | undefined> {
  const { key, cluster, spec, generation, status } = plan;
  const { operation } = choice;
  // Runs recorded before upgrade and failover had one name everywhere replay with their old child ids.
  const legacyNames = !patched('one-name-per-operation');
  const workflowId = operationWorkflowId({
    legacyNames,
    operation,
    namespace: key.namespace,
    name: key.name,
    generation,
    round: at.round,
    choice,
    drift: plan.drift,
    pass: at.pass,
  });
  if (choice.forced) state.forcedRoll = undefined;
  state.operation = { type: operation.type, step: 'running', workflowId };
  const startedAt = new Date().toISOString();
  // Written before the child starts: the child adds its progress to it.
  await quick.patchStatus({
    ...key,
    status: {
      ...status,
      currentOperation: {
        type: operationName(operation.type),
        workflowId,
        step: operation.type,
        startedAt,
      },
      conditions: conditionsWhileRunning(
        operation,
        workflowId,
        generation,
        spec.zoneFailover.after,
        new Date(),
      ),
    },
  });
  await quick.recordEvent({
    cluster,
    key: `${workflowId}/started`,
    type: 'Normal',
    reason: 'OperationStarted',
    action: operationName(operation.type),
    note: `${describeOperation(operation)} (workflow ${workflowId})`,
  });
  const lastOperation = { type: operationName(operation.type), workflowId, startedAt };
  // The worker's log gets the cluster, this workflow's id and run id with each line (src/operator/temporal-runtime.ts).
  const logged = { operation: operationName(operation.type), operationWorkflowId: workflowId };
  log.info(`operation started: ${describeOperation(operation)}`, logged);
  try {
    const child = await startOperation(
      operation,
      { cluster, spec, nodes: plan.nodes, observed: at.observed, workflowId, forced: choice.forced },
      {
        workflowId,
        searchAttributes: {
          ...plan.clusterAttributes,
          [searchAttributes.operation.name]: [operationName(operation.type)],
        },
      },
    );
    if (choice.drill && state.drill) {
      state.drill.running = true;
      state.runningDrill = child.handle;
    }
    // A newer generation stops a roll or a zone failover at its next safe point.
    let finished = false;
    if (operation.type === 'roll' || operation.type === 'failover') {
      void condition(() => finished || state.lastSeenGeneration > generation || state.deleting === true).then(
        () => (finished ? undefined : child.handle.signal(supersededSignal)),
      );
    }
    const result = await child.result().finally(() => (finished = true));
    log.info('operation finished', logged);
    return recordResult(state, plan, choice, result, lastOperation);
  } catch (err) {
    const message = rootCause(err);
    status.lastOperation = {
      ...lastOperation,
      result: 'Failed',
      message,
      finishedAt: new Date().toISOString(),
    };
    // Blocked (stopped to stay safe), refused or failed: each its own reason (src/domain/failures.ts).
    const ended = failureOutcome(err);
    const outcome = {
      kind: 'failed',
      reason: outcomeReason[ended],
      message: operationEnded(operation.type, ended, message),
      retries: errorRetriesBySelf(err),
    } as const;
    log.warn(`operation ended: ${outcome.message}`, { ...logged, reason: outcome.reason });
    await quick.recordEvent({
      cluster,
      key: `${workflowId}/failed`,
      type: 'Warning',
      reason: outcome.reason,
      action: operationName(operation.type),
      note: outcome.message,
    });
    return outcome;
  } finally {
    state.operation = undefined;
    if (choice.drill) {
      state.drill = undefined;
      state.runningDrill = undefined;
    }
  }
  return undefined;
}

/** Records a finished operation in state and status; the pass ends here when a newer spec stopped it. */
function recordResult(
  state: ClusterState,
  plan: PassPlan,
  choice: OperationChoice,
  result: OperationResult,
  lastOperation: { type: ReturnType<typeof operationName>; workflowId: string; startedAt: string },
): PassOutcome | undefined {
  const { operation } = choice;
  const { status } = plan;
  if (operation.type === 'failover') {
    state.zoneOutage =
      result.superseded && state.zoneOutage
        ? {
            ...state.zoneOutage,
            ...(result.originalOrder ? { originalOrder: result.originalOrder } : {}),
          }
        : undefined;
  }
  if (result.superseded) {
    status.lastOperation = {
      ...lastOperation,
      result: 'Cancelled',
      message:
        operation.type === 'roll'
          ? `stopped for generation ${state.lastSeenGeneration} after restarting ${result.restarted?.length ?? 0} node(s)`
          : (result.message ?? `stopped for generation ${state.lastSeenGeneration}`),
      finishedAt: new Date().toISOString(),
    };
    return { kind: 'superseded' };
  }
  if (result.metadataVersion) status.metadataVersion = result.metadataVersion;
  if (choice.drill && result.drillReport) state.lastDrill = result.drillReport;
  const drillOutcome = result.drillReport?.outcome;
  status.lastOperation = {
    ...lastOperation,
    result:
      drillOutcome === undefined || drillOutcome === 'Succeeded'
        ? 'Succeeded'
        : drillOutcome === 'Aborted'
          ? 'Cancelled'
          : 'Failed',
    ...(result.message ? { message: result.message } : {}),
    finishedAt: new Date().toISOString(),
  };
  return undefined;
}
