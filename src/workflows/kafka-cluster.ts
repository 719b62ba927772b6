// The long-lived workflow of one KafkaCluster, id kafkacluster/<ns>/<name>.
// A switchboard: it takes spec-change signals (dropping stale generations and
// signals for another incarnation of the same name), re-reads the spec at
// each safe point, plans from what it observes, runs one operation at a time
// as a child workflow, and writes status at step boundaries. It continues as
// new when the SDK suggests it, after its handlers finished.
import {
  ChildWorkflowFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  executeChild,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { quickCall } from './activity-options.ts';
import { KafkaClusterSpec, type KafkaClusterStatus } from '../crd/kafka-cluster.ts';
import { buildCondition, type ConditionType } from '../domain/conditions.ts';
import type { ClusterRef } from '../domain/labels.ts';
import { bootstrapAddress, nodeConfigHash } from '../domain/manifests/index.ts';
import { assignNodeIdBases, planNodes } from '../domain/nodes.ts';
import { planOperations } from '../domain/planner.ts';
import {
  pauseUpdate,
  resumeUpdate,
  rollUpdate,
  specSignal,
  stateQuery,
  type ClusterWorkflowState,
} from './messages.ts';
import { provisionWorkflow } from './provision.ts';
import { rollWorkflow } from './roll.ts';
import { searchAttributes } from './search-attributes.ts';

/** A bound on operations per generation, so a plan that never converges cannot loop forever. */
const maxOperationsPerGeneration = 10;

const operationType = (type: string): 'provision' | 'scale' | 'roll' | 'repair' =>
  type === 'scale-up' || type === 'scale-down'
    ? 'scale'
    : type === 'provision' || type === 'roll'
      ? type
      : 'repair';

const kube = proxyActivities<Activities>(quickCall);

export interface ClusterWorkflowInput {
  namespace: string;
  name: string;
  uid: string;
  /** Carried over continue-as-new. */
  lastPlannedGeneration?: number;
  lastSeenGeneration?: number;
  paused?: boolean;
}

const condition_ = (
  type: ConditionType,
  status: 'True' | 'False',
  reason: string,
  message: string,
  generation: number,
) => buildCondition(type, status, reason, message, generation, new Date());

export async function kafkaClusterWorkflow(input: ClusterWorkflowInput): Promise<void> {
  const key = { namespace: input.namespace, name: input.name };
  const state: ClusterWorkflowState = {
    uid: input.uid,
    lastSeenGeneration: input.lastSeenGeneration ?? 0,
    lastPlannedGeneration: input.lastPlannedGeneration ?? 0,
    operation: undefined,
    invalidSpec: undefined,
    paused: input.paused ?? false,
    forcedRoll: undefined,
  };
  let pausedReported = !state.paused;
  // Search attributes let the Temporal UI and CLI filter every workflow of a cluster.
  const clusterAttributes = {
    [searchAttributes.cluster.name]: [input.name],
    [searchAttributes.namespace.name]: [input.namespace],
  };
  upsertSearchAttributes(clusterAttributes);
  setHandler(specSignal, (change) => {
    // Another incarnation of the same name, or an old generation: nothing to do.
    if (change.uid !== state.uid || change.generation <= state.lastSeenGeneration) return;
    state.lastSeenGeneration = change.generation;
  });
  setHandler(stateQuery, () => state);
  setHandler(
    pauseUpdate,
    () => {
      state.paused = true;
      return { paused: true } as const;
    },
    {
      validator: () => {
        if (state.paused) throw new Error('the cluster is already paused');
      },
    },
  );
  setHandler(
    resumeUpdate,
    () => {
      state.paused = false;
      return { paused: false } as const;
    },
    {
      validator: () => {
        if (!state.paused) throw new Error('the cluster is not paused');
      },
    },
  );
  setHandler(
    rollUpdate,
    ({ reason }) => {
      state.forcedRoll = { reason };
      return { accepted: true } as const;
    },
    {
      validator: ({ reason }) => {
        if (state.paused) throw new Error('the cluster is paused: resume it first');
        if (state.invalidSpec) throw new Error(`the spec is invalid: ${state.invalidSpec}`);
        if (state.forcedRoll) throw new Error('a forced roll is already waiting to start');
        if (!reason.trim()) throw new Error('give a reason for the roll');
      },
    },
  );

  for (;;) {
    await condition(
      () =>
        pausedReported !== state.paused ||
        (!state.paused &&
          (state.lastSeenGeneration > state.lastPlannedGeneration || state.forcedRoll !== undefined)),
    );
    if (pausedReported !== state.paused) {
      pausedReported = state.paused;
      await kube.patchStatus({
        ...key,
        status: {
          conditions: [
            state.paused
              ? condition_(
                  'Paused',
                  'True',
                  'PausedByUser',
                  'paused with keelson pause',
                  state.lastPlannedGeneration,
                )
              : condition_(
                  'Paused',
                  'False',
                  'Resumed',
                  'resumed with keelson resume',
                  state.lastPlannedGeneration,
                ),
          ],
        },
      });
      continue;
    }
    const snapshot = await kube.readCluster(key);
    if (snapshot === null || snapshot.uid !== state.uid) return; // deleted, or recreated under a new workflow
    const generation = snapshot.generation;
    const parsed = KafkaClusterSpec.safeParse(snapshot.spec);
    if (!parsed.success) {
      state.invalidSpec = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      await kube.patchStatus({
        ...key,
        status: {
          observedGeneration: generation,
          conditions: [condition_('InvalidSpec', 'True', 'InvalidSpec', state.invalidSpec, generation)],
        },
      });
      state.lastPlannedGeneration = generation;
      continue;
    }
    state.invalidSpec = undefined;
    const spec = parsed.data;
    const cluster: ClusterRef = { namespace: input.namespace, name: input.name, uid: state.uid };
    const knownBases = Object.fromEntries(
      (snapshot.status?.nodePools ?? []).map((p) => [p.name, p.nodeIdBase]),
    );
    const bases = assignNodeIdBases(spec.nodePools, knownBases);
    const nodes = planNodes(cluster.name, spec, bases);
    const desired = nodes.map((node) => {
      const pool = spec.nodePools.find((p) => p.name === node.pool);
      return { ...node, configHash: pool ? nodeConfigHash(cluster, spec, nodes, node, pool) : '' };
    });
    const status: Partial<KafkaClusterStatus> = {
      observedGeneration: generation,
      kafkaVersion: spec.kafkaVersion,
      bootstrapAddress: bootstrapAddress(cluster, spec),
      nodePools: Object.entries(bases).map(([name, nodeIdBase]) => ({ name, nodeIdBase })),
    };

    // Run operations one at a time until the plan is empty, re-observing
    // after each: the plan is only ever trusted for the cluster as it is.
    let outcome: { ready: true } | { ready: false; reason: string; message: string } = { ready: true };
    for (let round = 0; round < maxOperationsPerGeneration; round++) {
      const observedNodes = await kube.observeNodes({ namespace: input.namespace, cluster: input.name });
      const next = planOperations(spec, desired, {
        nodes: observedNodes,
        dynamicConfig: {},
        metadataVersion: undefined,
      })[0];
      const forced = next === undefined && state.forcedRoll !== undefined && round === 0;
      if (next === undefined && !forced) break;
      const operation = next ?? {
        type: 'roll' as const,
        nodes: observedNodes.filter((n) => n.podExists).map((n) => n.podName),
        reason: state.forcedRoll?.reason ?? 'forced',
      };
      const workflowId = `${operation.type}/${input.namespace}/${input.name}/g${generation}${round > 0 ? `-${round}` : ''}${forced ? `-forced-${workflowInfo().historyLength}` : ''}`;
      if (forced) state.forcedRoll = undefined;
      let child: Promise<unknown>;
      if (operation.type === 'provision') {
        child = executeChild(provisionWorkflow, {
          workflowId,
          args: [{ cluster, spec, nodes }],
          searchAttributes: { ...clusterAttributes, [searchAttributes.operation.name]: ['provision'] },
        });
      } else if (operation.type === 'roll') {
        child = executeChild(rollWorkflow, {
          workflowId,
          searchAttributes: { ...clusterAttributes, [searchAttributes.operation.name]: ['roll'] },
          args: [
            {
              cluster,
              spec,
              nodes,
              pods: operation.nodes,
              reason: operation.reason,
              ...(forced ? { restartToken: workflowId } : {}),
            },
          ],
        });
      } else {
        outcome = {
          ready: false,
          reason: 'NotImplemented',
          message: `the ${operation.type} operation is not implemented yet`,
        };
        break;
      }
      state.operation = { type: operation.type, step: 'running', workflowId };
      await kube.patchStatus({
        ...key,
        status: {
          ...status,
          currentOperation: {
            type: operationType(operation.type),
            workflowId,
            step: operation.type,
            startedAt: new Date().toISOString(),
          },
          conditions: [
            condition_(
              'Reconciling',
              'True',
              'OperationRunning',
              `${operation.type} running as ${workflowId}`,
              generation,
            ),
            condition_('Ready', 'False', 'OperationRunning', `${operation.type} in progress`, generation),
          ],
        },
      });
      try {
        await child;
        status.lastOperation = {
          type: operationType(operation.type),
          workflowId,
          result: 'Succeeded',
          finishedAt: new Date().toISOString(),
        };
      } catch (err) {
        const message = err instanceof ChildWorkflowFailure && err.cause ? err.cause.message : String(err);
        status.lastOperation = {
          type: operationType(operation.type),
          workflowId,
          result: 'Failed',
          message,
          finishedAt: new Date().toISOString(),
        };
        outcome = {
          ready: false,
          reason: 'OperationFailed',
          message: `${operation.type} failed: ${message}`,
        };
        break;
      } finally {
        state.operation = undefined;
      }
    }

    const observedNodes = await kube.observeNodes({ namespace: input.namespace, cluster: input.name });
    const brokers = observedNodes.filter((n) => n.roles.includes('broker'));
    await kube.patchStatus({
      ...key,
      clear: ['currentOperation'],
      status: {
        ...status,
        brokersReady: `${brokers.filter((n) => n.ready).length}/${brokers.length}`,
        conditions: outcome.ready
          ? [
              condition_('Reconciling', 'False', 'Idle', 'no operation running', generation),
              condition_('Ready', 'True', 'Ready', 'every node runs the current spec', generation),
            ]
          : [
              condition_('Reconciling', 'False', outcome.reason, outcome.message, generation),
              condition_('Ready', 'False', outcome.reason, outcome.message, generation),
              condition_('Degraded', 'True', outcome.reason, outcome.message, generation),
            ],
      },
    });
    state.lastPlannedGeneration = generation;

    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof kafkaClusterWorkflow>({
        ...input,
        lastPlannedGeneration: state.lastPlannedGeneration,
        lastSeenGeneration: state.lastSeenGeneration,
        paused: state.paused,
      });
    }
  }
}
