// The long-lived workflow of one KafkaCluster, id kafkacluster/<ns>/<name>.
// A switchboard: it takes spec-change signals (dropping stale generations and
// signals for another incarnation of the same name), re-reads the spec at
// each safe point, plans from what it observes, runs one operation at a time
// as a child workflow, and writes status at step boundaries. It continues as
// new when the SDK suggests it, after its handlers finished.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  executeChild,
  patched,
  proxyActivities,
  startChild,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  type ChildWorkflowHandle,
  type Workflow,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { DrillReport } from './drill.ts';
import { bestEffortRead, quickCall } from './activity-options.ts';
import { KafkaClusterSpec, type KafkaClusterStatus } from '../crd/kafka-cluster.ts';
import { parseDurationMs } from '../crd/duration.ts';
import { buildCondition, type ConditionType } from '../domain/conditions.ts';
import type { ClusterRef } from '../domain/labels.ts';
import { rootCause } from '../domain/failure-message.ts';
import { bootstrapAddress, nodeConfigHash } from '../domain/manifests/index.ts';
import { planNodes, planPoolLayouts, type KafkaNode } from '../domain/nodes.ts';
import { readyBrokerAddresses, type ObservedNode } from '../domain/observed.ts';
import { planOperations, type Operation } from '../domain/planner.ts';
import {
  pauseUpdate,
  resumeUpdate,
  rollUpdate,
  driftSignal,
  specSignal,
  stateQuery,
  supersededSignal,
  drillUpdate,
  abortDrillUpdate,
  backupUpdate,
  abortDrillSignal,
  type ClusterWorkflowState,
} from './messages.ts';
import { configureWorkflow } from './configure.ts';
import { metadataVersionWorkflow } from './metadata-version.ts';
import { provisionWorkflow } from './provision.ts';
import { repairWorkflow } from './repair.ts';
import { expandVolumesWorkflow } from './expand-volumes.ts';
import { rollWorkflow, type RollResult } from './roll.ts';
import { scaleDownWorkflow, scaleUpWorkflow } from './scale.ts';
import { drillWorkflow } from './drill.ts';
import { teardownWorkflow } from './teardown.ts';
import { zoneFailoverWorkflow, type ZoneFailoverResult } from './zone-failover.ts';
import { assessZones, type ZoneOutage } from '../domain/zone-outage.ts';
import type { Moves } from '../domain/reassignment.ts';
import { payloads, requireValidUpdate, validSignal } from './message-payloads.ts';
import { searchAttributes } from './search-attributes.ts';
import { failure, failureOutcome, failureType, operationEnded, outcomeReason } from '../domain/failures.ts';

/** A bound on operations per generation, so a plan that never converges cannot loop forever. */
const maxOperationsPerGeneration = 10;

/** The operation as status names it. */
const operationType = (
  type: Operation['type'] | 'drill' | 'zone-failover',
): 'provision' | 'scale' | 'roll' | 'configure' | 'upgrade' | 'repair' | 'expand' | 'drill' | 'failover' =>
  type === 'scale-up' || type === 'scale-down'
    ? 'scale'
    : type === 'metadata-version'
      ? 'upgrade'
      : type === 'zone-failover'
        ? 'failover'
        : type;

const kube = proxyActivities<Activities>(quickCall);
const reads = proxyActivities<Activities>(bestEffortRead);

type Outcome =
  | { kind: 'ready' }
  | { kind: 'superseded' }
  | { kind: 'failed'; reason: string; message: string }
  | { kind: 'zone-unavailable'; message: string };
/** What the children return, as far as the cluster workflow reads it. */
type ChildResult =
  | Partial<
      RollResult & { from: string; to: string } & Pick<DrillReport, 'outcome' | 'message'> &
        ZoneFailoverResult
    >
  | undefined;

/** A drill asked for by hand; not something the planner plans. */
interface DrillOperation {
  type: 'drill';
  zone: string;
  holdMs: number;
}

/** Leadership out of an unavailable zone (and back when it returns); planned from zone health, not the spec. */
interface ZoneFailoverOperation {
  type: 'zone-failover';
  zone: string;
  originalOrder?: Moves;
}

type AnyOperation = Operation | DrillOperation | ZoneFailoverOperation;

const clientPort = (spec: KafkaClusterSpec): number => spec.listeners[0]?.port ?? 9092;

/** Kafka's view for the planner; unknown (nothing planned from it) when no broker answers. */
async function observeSettings(
  bootstrap: string[],
): Promise<{ dynamicConfig: Record<string, string> | undefined; metadataVersion: string | undefined }> {
  if (bootstrap.length === 0) return { dynamicConfig: undefined, metadataVersion: undefined };
  try {
    const [dynamicConfig, metadataVersion] = await Promise.all([
      reads.readClusterDynamicConfig({ bootstrap }),
      reads.readMetadataVersion({ bootstrap }),
    ]);
    return { dynamicConfig, metadataVersion };
  } catch {
    return { dynamicConfig: undefined, metadataVersion: undefined };
  }
}

function describeOperation(operation: AnyOperation): string {
  switch (operation.type) {
    case 'zone-failover':
      return operation.originalOrder
        ? `moving preferred leadership back into zone ${operation.zone}`
        : `every pod of zone ${operation.zone} unready: moving leadership out of the zone until it returns`;
    case 'drill':
      return `failover drill of zone ${operation.zone}, holding ${Math.round(operation.holdMs / 1000)} s`;
    case 'roll':
      return `rolling ${operation.nodes.join(', ')}: ${operation.reason}`;
    case 'configure':
      return `applying dynamic configs ${[...Object.keys(operation.set), ...operation.remove].join(', ')} without restart`;
    case 'metadata-version':
      return `raising metadata.version to ${operation.to}`;
    case 'expand':
      return `growing the volume claims of ${operation.nodes.join(', ')} to their pool's storage.size`;
    case 'repair':
      return `recreating missing ${[...operation.pods.map((p) => `pod ${p}`), ...operation.claims.map((c) => `claim of ${c}`)].join(', ')}`;
    default:
      return `${operation.type} of ${operation.nodes.join(', ')}`;
  }
}

/** The child workflow that carries out an operation. */
function childFor(
  operation: AnyOperation,
  context: {
    observed: ObservedNode[];
    cluster: ClusterRef;
    spec: KafkaClusterSpec;
    nodes: KafkaNode[];
    workflowId: string;
    forced: boolean;
  },
): { workflow: Workflow; input: unknown } {
  const { cluster, spec, nodes } = context;
  switch (operation.type) {
    case 'provision':
      return { workflow: provisionWorkflow, input: { cluster, spec, nodes } };
    case 'roll':
      return {
        workflow: rollWorkflow,
        input: {
          cluster,
          spec,
          nodes,
          pods: operation.nodes,
          reason: operation.reason,
          ...(context.forced ? { restartToken: context.workflowId, urgent: true } : {}),
        },
      };
    case 'configure':
      return {
        workflow: configureWorkflow,
        input: { cluster, spec, nodes, set: operation.set, remove: operation.remove },
      };
    case 'metadata-version':
      return { workflow: metadataVersionWorkflow, input: { cluster, spec, to: operation.to } };
    case 'zone-failover':
      return {
        workflow: zoneFailoverWorkflow,
        input: {
          cluster,
          spec,
          zone: operation.zone,
          ...(operation.originalOrder ? { originalOrder: operation.originalOrder } : {}),
        },
      };
    case 'drill':
      return {
        workflow: drillWorkflow,
        input: { cluster, spec, nodes, zone: operation.zone, holdMs: operation.holdMs },
      };
    case 'scale-up':
      return { workflow: scaleUpWorkflow, input: { cluster, spec, nodes, added: operation.nodes } };
    case 'scale-down':
      return {
        workflow: scaleDownWorkflow,
        input: {
          cluster,
          spec,
          nodes,
          leaving: context.observed.filter((n) => operation.nodes.includes(n.podName)),
        },
      };
    case 'repair':
      return {
        workflow: repairWorkflow,
        input: { cluster, spec, nodes, pods: operation.pods, claims: operation.claims },
      };
    case 'expand':
      return {
        workflow: expandVolumesWorkflow,
        input: {
          cluster,
          spec,
          nodes,
          growing: context.observed.filter((n) => operation.nodes.includes(n.podName)),
        },
      };
  }
}

export interface ClusterWorkflowInput {
  namespace: string;
  name: string;
  uid: string;
  /** Carried over continue-as-new. */
  lastPlannedGeneration?: number;
  lastSeenGeneration?: number;
  paused?: boolean;
  zoneOutage?: ZoneOutage;
  /** What the cluster's backup schedule was last made to match (see backupScheduleKey). */
  backupSchedule?: string;
}

type BackupSpec = KafkaClusterSpec['backup'];
/** The part of spec.backup the schedule holds; a change of it updates the schedule. */
const backupScheduleKey = (backup: BackupSpec): string =>
  backup
    ? // Without a restore drill the key is what it was before drills existed: histories replay the same.
      `cron:${backup.schedule ?? ''}${backup.restoreDrill ? `|drill:${backup.restoreDrill.schedule ?? ''}` : ''}`
    : 'none';
const scheduleInput = (backup: BackupSpec) =>
  backup
    ? {
        ...(backup.schedule ? { schedule: backup.schedule } : {}),
        ...(backup.restoreDrill
          ? {
              restoreDrill: backup.restoreDrill.schedule ? { schedule: backup.restoreDrill.schedule } : {},
            }
          : {}),
      }
    : undefined;
// Workflows that started before backups existed replay without the schedule steps.
const backupPatch = 'backup-schedule';

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
    driftReported: undefined,
    drill: undefined,
    successor: undefined,
    zoneOutage: input.zoneOutage,
  };
  // A zone outage carried over continue-as-new is looked at again at once.
  if (input.zoneOutage) state.driftReported = `zone ${input.zoneOutage.zone} unavailable`;
  // What the Paused condition says now; nothing to write until that changes.
  let pausedReported = state.paused;
  // Search attributes let the Temporal UI and CLI filter every workflow of a cluster.
  const clusterAttributes = {
    [searchAttributes.cluster.name]: [input.name],
    [searchAttributes.namespace.name]: [input.namespace],
  };
  upsertSearchAttributes(clusterAttributes);
  // Spec signals taken so far; a pass compares it across its read of the cluster.
  let specSignals = 0;
  setHandler(specSignal, (payload) => {
    const change = validSignal(payloads.spec, 'spec', payload);
    if (!change) return;
    specSignals++;
    // Another incarnation of the same name: checked against the API server
    // before this run hands over to it (a stale signal changes nothing).
    if (change.uid !== state.uid) {
      state.successor = change;
      return;
    }
    if (change.generation <= state.lastSeenGeneration) return; // an old generation
    state.lastSeenGeneration = change.generation;
  });
  setHandler(stateQuery, () => state);
  setHandler(driftSignal, (payload) => {
    const drift = validSignal(payloads.drift, 'drift', payload);
    if (!drift) return;
    state.driftReported = drift.reason;
    if (drift.deleting) state.deleting = true;
  });
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
      validator: (request) => {
        requireValidUpdate(payloads.roll, 'roll', request);
        if (state.paused) throw new Error('the cluster is paused: resume it first');
        if (state.invalidSpec) throw new Error(`the spec is invalid: ${state.invalidSpec}`);
        if (state.forcedRoll) throw new Error('a forced roll is already waiting to start');
      },
    },
  );

  let backupSchedule = input.backupSchedule ?? 'none';
  setHandler(
    backupUpdate,
    async () => {
      // The spec as it is now: a backup target added a moment ago counts before the next plan.
      const current = await kube.readCluster(key);
      const parsed = KafkaClusterSpec.safeParse(current?.spec);
      const backup = parsed.success ? parsed.data.backup : undefined;
      if (!backup) {
        throw failure(
          'InvalidSpec',
          `${input.namespace}/${input.name} has no spec.backup: set a backup target first`,
        );
      }
      const requestedAt = new Date().toISOString();
      const { scheduleId } = await kube.syncBackupSchedule({
        ...key,
        backup: scheduleInput(backup),
        trigger: true,
      });
      backupSchedule = backupScheduleKey(backup);
      return { scheduleId, requestedAt };
    },
    {
      validator: () => {
        if (state.deleting) throw new Error('the cluster is being deleted');
      },
    },
  );

  // The spec of the last plan, for validating drill requests; the running drill, to abort it.
  let lastSpec: KafkaClusterSpec | undefined;
  let runningDrill: ChildWorkflowHandle<typeof drillWorkflow> | undefined;
  setHandler(
    drillUpdate,
    ({ zone, hold }) => {
      const holdMs = parseDurationMs(hold ?? lastSpec?.drill.defaultHold ?? '10m');
      state.drill = { zone, holdMs, running: false };
      return { accepted: true, holdMs } as const;
    },
    {
      validator: (request) => {
        requireValidUpdate(payloads.drill, 'drill', request);
        const { zone, hold } = request;
        if (state.paused) throw new Error('the cluster is paused: resume it first');
        if (state.invalidSpec) throw new Error(`the spec is invalid: ${state.invalidSpec}`);
        if (!lastSpec) throw new Error('the cluster has not been provisioned yet');
        if (state.drill)
          throw new Error(
            `a drill of ${state.drill.zone} is already ${state.drill.running ? 'running' : 'waiting'}`,
          );
        const zones = [...new Set(lastSpec.nodePools.flatMap((p) => p.zones))];
        if (!zones.includes(zone))
          throw new Error(`zone ${zone} is not one of the cluster's zones (${zones.join(', ')})`);
        if (hold !== undefined) {
          const ms = parseDurationMs(hold); // throws with the reason when it is not a duration
          if (ms <= 0) throw new Error('the hold must be longer than 0s');
          if (ms > parseDurationMs(lastSpec.drill.maxHold))
            throw new Error(`hold ${hold} is longer than spec.drill.maxHold (${lastSpec.drill.maxHold})`);
        }
      },
    },
  );
  setHandler(
    abortDrillUpdate,
    () => {
      if (state.drill?.running && runningDrill) {
        void runningDrill.signal(abortDrillSignal);
        return { aborted: 'running' } as const;
      }
      state.drill = undefined;
      return { aborted: 'waiting' } as const;
    },
    {
      validator: () => {
        if (!state.drill) throw new Error('no drill is waiting or running');
      },
    },
  );

  // A forced roll or drill that a pass could not start (a zone is out) waits for the
  // next change, signal or deadline instead of waking the loop again at once.
  let requestsHeld = false;
  for (;;) {
    // An unavailable zone not failed over yet: wake at the failover deadline even without a signal.
    const zoneDeadline =
      state.zoneOutage && !state.zoneOutage.originalOrder && lastSpec
        ? state.zoneOutage.unreadySince + parseDurationMs(lastSpec.zoneFailover.after) - Date.now()
        : undefined;
    const wake = () =>
      state.deleting === true ||
      pausedReported !== state.paused ||
      (!state.paused &&
        (state.lastSeenGeneration > state.lastPlannedGeneration ||
          (!requestsHeld && state.forcedRoll !== undefined) ||
          state.driftReported !== undefined ||
          state.successor !== undefined ||
          (!requestsHeld && state.drill !== undefined && !state.drill.running)));
    const woken =
      zoneDeadline === undefined
        ? (await condition(wake), true)
        : await condition(wake, Math.max(1_000, zoneDeadline));
    requestsHeld = false;
    if (!woken) state.driftReported = `zone ${state.zoneOutage?.zone} unavailable`;
    if (pausedReported !== state.paused && !state.deleting) {
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
    const signalsBeforeRead = specSignals;
    const snapshot = await kube.readCluster(key);
    if (snapshot === null) return; // deleted
    // The API server is the truth: a generation signalled before this read that
    // it does not have (a forged or corrupt signal) must not hide later changes.
    if (
      specSignals === signalsBeforeRead &&
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
          namespace: input.namespace,
          name: input.name,
          uid: snapshot.uid,
          lastSeenGeneration: state.successor.generation,
        });
      }
      return;
    }
    if (snapshot.deleting) {
      // Deletion overrides everything else, pause included; the finalizer holds the object until this ends.
      const cluster: ClusterRef = { namespace: input.namespace, name: input.name, uid: state.uid };
      const workflowId = `teardown/${input.namespace}/${input.name}/${state.uid.slice(0, 8)}`;
      state.operation = { type: 'teardown', step: 'running', workflowId };
      await kube.patchStatus({
        ...key,
        status: {
          currentOperation: {
            type: 'teardown',
            workflowId,
            step: 'teardown',
            startedAt: new Date().toISOString(),
          },
          conditions: [
            condition_(
              'Reconciling',
              'True',
              'TearingDown',
              `deleted: tearing down as ${workflowId}`,
              snapshot.generation,
            ),
            condition_('Ready', 'False', 'TearingDown', 'the cluster is being deleted', snapshot.generation),
          ],
        },
      });
      // Backups already taken stay in the store; only the schedule goes.
      if (patched(backupPatch) && backupSchedule !== 'none') {
        await kube.syncBackupSchedule({ ...key, backup: undefined });
      }
      const parsedSpec = KafkaClusterSpec.safeParse(snapshot.spec);
      await executeChild(teardownWorkflow, {
        workflowId,
        args: [{ cluster, spec: parsedSpec.success ? parsedSpec.data : undefined }],
        searchAttributes: { ...clusterAttributes, [searchAttributes.operation.name]: ['teardown'] },
      });
      await kube.removeTeardownFinalizer({ ...key, uid: state.uid });
      return;
    }
    if (state.successor) {
      state.successor = undefined; // a stale signal of another incarnation
      if (
        state.lastSeenGeneration <= state.lastPlannedGeneration &&
        !state.forcedRoll &&
        !state.driftReported &&
        !state.drill
      )
        continue;
    }
    const generation = snapshot.generation;
    const parsed = KafkaClusterSpec.safeParse(snapshot.spec);
    // A spec the Temporal server refuses (a schedule past the checks above) is as invalid as one zod refuses.
    const refusedBy =
      parsed.success && patched(backupPatch) && backupScheduleKey(parsed.data.backup) !== backupSchedule
        ? await kube.syncBackupSchedule({ ...key, backup: scheduleInput(parsed.data.backup) }).then(
            () => ((backupSchedule = backupScheduleKey(parsed.data.backup)), undefined),
            (err: unknown) => {
              if (failureType(err) !== 'InvalidSpec') throw err;
              return `backup.schedule: ${rootCause(err)}`;
            },
          )
        : undefined;
    if (!parsed.success || refusedBy) {
      state.invalidSpec = (
        refusedBy ??
        parsed.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') ??
        ''
      ).slice(0, 4000);
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
    const wasInvalid = state.invalidSpec !== undefined;
    state.invalidSpec = undefined;
    const spec = parsed.data;
    lastSpec = spec;
    const cluster: ClusterRef = { namespace: input.namespace, name: input.name, uid: state.uid };
    const knownLayouts = snapshot.status?.nodePools ?? [];
    const layouts = planPoolLayouts(spec.nodePools, knownLayouts);
    // A removed pool's block and zones stay recorded while any of its pods or claims is left.
    const layoutsSeeing = (observed: readonly ObservedNode[]) =>
      planPoolLayouts(spec.nodePools, knownLayouts, (pool) => observed.some((n) => n.pool === pool));
    const nodes = planNodes(
      cluster.name,
      spec,
      Object.fromEntries(layouts.map((p) => [p.name, p.nodeIdBase])),
      Object.fromEntries(layouts.map((p) => [p.name, p.nodeZones ?? []])),
    );
    const desired = nodes.map((node) => {
      const pool = spec.nodePools.find((p) => p.name === node.pool);
      return { ...node, configHash: pool ? nodeConfigHash(cluster, spec, nodes, node, pool) : '' };
    });
    const status: Partial<KafkaClusterStatus> = {
      observedGeneration: generation,
      kafkaVersion: spec.kafkaVersion,
      bootstrapAddress: bootstrapAddress(cluster, spec),
      nodePools: layouts,
    };

    const desiredNames = new Set(desired.map((n) => n.podName));
    const pass = workflowInfo().historyLength;
    const drift = state.driftReported !== undefined && generation <= state.lastPlannedGeneration;
    state.driftReported = undefined;

    // Run operations one at a time until the plan is empty, re-observing
    // after each: the plan is only ever trusted for the cluster as it is.
    let outcome: Outcome = { kind: 'ready' };
    for (let round = 0; round < maxOperationsPerGeneration; round++) {
      const observedNodes = await kube.observeNodes({
        namespace: input.namespace,
        cluster: input.name,
        uid: state.uid,
      });
      status.nodePools = layoutsSeeing(observedNodes);
      const settings = await observeSettings(readyBrokerAddresses(observedNodes, clientPort(spec)));
      if (settings.metadataVersion) status.metadataVersion = settings.metadataVersion;
      // A zone with every pod unready comes before the plan: nothing else runs while it is out.
      const zone = assessZones({
        nodes: observedNodes.filter((n) => desiredNames.has(n.podName)),
        tracked: state.zoneOutage,
        nowMs: Date.now(),
        failoverAfterMs: parseDurationMs(spec.zoneFailover.after),
      });
      const zoneOperation: ZoneFailoverOperation | undefined =
        zone.kind === 'failback' || (zone.kind === 'failover' && spec.zoneFailover.enabled)
          ? {
              type: 'zone-failover',
              zone: zone.outage.zone,
              ...(zone.outage.originalOrder ? { originalOrder: zone.outage.originalOrder } : {}),
            }
          : undefined;
      state.zoneOutage =
        zone.kind === 'available' || (!spec.zoneFailover.enabled && zone.kind !== 'failback')
          ? undefined
          : zone.outage;
      if (zone.kind === 'waiting' && spec.zoneFailover.enabled) {
        outcome = {
          kind: 'zone-unavailable',
          message: `every pod of zone ${zone.outage.zone} is unready (since ${new Date(zone.outage.unreadySince).toISOString()}); leadership moves out of it at ${new Date(zone.failoverAtMs).toISOString()} unless it returns, and no other operation starts meanwhile`,
        };
        break;
      }
      const next = zoneOperation ?? planOperations(spec, desired, { nodes: observedNodes, ...settings })[0];
      const forced = next === undefined && state.forcedRoll !== undefined && round === 0;
      // A drill runs only on a cluster with nothing else to do.
      const drill =
        next === undefined && !forced && state.drill !== undefined && round === 0 ? state.drill : undefined;
      if (next === undefined && !forced && !drill) break;
      const operation: AnyOperation =
        next ??
        (drill
          ? { type: 'drill' as const, zone: drill.zone, holdMs: drill.holdMs }
          : {
              type: 'roll' as const,
              nodes: observedNodes.filter((n) => n.podExists).map((n) => n.podName),
              reason: state.forcedRoll?.reason ?? 'forced',
            });
      // Forced and drift-triggered operations repeat within a generation: the history length tells them apart.
      const trigger = forced
        ? `-forced-${pass}`
        : drill
          ? `-${drill.zone}-${pass}`
          : drift
            ? `-drift-${pass}`
            : '';
      const workflowId = `${operation.type}/${input.namespace}/${input.name}/g${generation}${round > 0 ? `-${round}` : ''}${trigger}`;
      if (forced) state.forcedRoll = undefined;
      const child = childFor(operation, {
        observed: observedNodes,
        cluster,
        spec,
        nodes,
        workflowId,
        forced,
      });
      state.operation = { type: operation.type, step: 'running', workflowId };
      const operationStartedAt = new Date().toISOString();
      // Written before the child starts: the child adds its progress to it.
      await kube.patchStatus({
        ...key,
        status: {
          ...status,
          currentOperation: {
            type: operationType(operation.type),
            workflowId,
            step: operation.type,
            startedAt: operationStartedAt,
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
            ...(operation.type === 'zone-failover' && !operation.originalOrder
              ? [
                  condition_(
                    'Degraded',
                    'True',
                    'ZoneUnavailable',
                    `every pod of zone ${operation.zone} unready for longer than ${spec.zoneFailover.after}: leadership moves out of it until it returns`,
                    generation,
                  ),
                ]
              : []),
          ],
        },
      });
      await kube.recordEvent({
        cluster,
        key: `${workflowId}/started`,
        type: 'Normal',
        reason: 'OperationStarted',
        action: operationType(operation.type),
        note: `${describeOperation(operation)} (workflow ${workflowId})`,
      });
      try {
        const handle = await startChild(child.workflow, {
          workflowId,
          args: [child.input],
          searchAttributes: {
            ...clusterAttributes,
            [searchAttributes.operation.name]: [operationType(operation.type)],
          },
        });
        if (drill && state.drill) {
          state.drill.running = true;
          runningDrill = handle as ChildWorkflowHandle<typeof drillWorkflow>;
        }
        // A newer generation stops a roll at its next safe point.
        let finished = false;
        if (operation.type === 'roll' || operation.type === 'zone-failover') {
          void condition(
            () => finished || state.lastSeenGeneration > generation || state.deleting === true,
          ).then(() => (finished ? undefined : handle.signal(supersededSignal)));
        }
        const result = (await handle.result().finally(() => (finished = true))) as ChildResult;
        if (operation.type === 'zone-failover') {
          state.zoneOutage =
            result?.superseded && state.zoneOutage
              ? {
                  ...state.zoneOutage,
                  ...(result.originalOrder ? { originalOrder: result.originalOrder } : {}),
                }
              : undefined;
        }
        if (result?.superseded) {
          status.lastOperation = {
            type: operationType(operation.type),
            workflowId,
            startedAt: operationStartedAt,
            result: 'Cancelled',
            message:
              operation.type === 'roll'
                ? `stopped for generation ${state.lastSeenGeneration} after restarting ${result.restarted?.length ?? 0} node(s)`
                : (result.message ?? `stopped for generation ${state.lastSeenGeneration}`),
            finishedAt: new Date().toISOString(),
          };
          outcome = { kind: 'superseded' };
          break;
        }
        if (result?.to) status.metadataVersion = result.to;
        const drillOutcome = result?.outcome;
        if (drill && result) state.lastDrill = result as DrillReport;
        status.lastOperation = {
          type: operationType(operation.type),
          workflowId,
          startedAt: operationStartedAt,
          result:
            drillOutcome === undefined || drillOutcome === 'Succeeded'
              ? 'Succeeded'
              : drillOutcome === 'Aborted'
                ? 'Cancelled'
                : 'Failed',
          ...(result?.message ? { message: result.message } : {}),
          finishedAt: new Date().toISOString(),
        };
      } catch (err) {
        const message = rootCause(err);
        status.lastOperation = {
          type: operationType(operation.type),
          workflowId,
          startedAt: operationStartedAt,
          result: 'Failed',
          message,
          finishedAt: new Date().toISOString(),
        };
        // Blocked (stopped to stay safe), refused or failed: each its own reason (src/domain/failures.ts).
        const ended = failureOutcome(err);
        outcome = {
          kind: 'failed',
          reason: outcomeReason[ended],
          message: operationEnded(operation.type, ended, message),
        };
        await kube.recordEvent({
          cluster,
          key: `${workflowId}/failed`,
          type: 'Warning',
          reason: outcome.reason,
          action: operationType(operation.type),
          note: outcome.message,
        });
        break;
      } finally {
        state.operation = undefined;
        if (drill) {
          state.drill = undefined;
          runningDrill = undefined;
        }
      }
    }

    if (outcome.kind === 'superseded') {
      // Plan again at once from the newer spec; status follows from that plan.
      await kube.patchStatus({ ...key, clear: ['currentOperation'], status });
      state.lastPlannedGeneration = generation;
      continue;
    }
    const observedNodes = await kube.observeNodes({
      namespace: input.namespace,
      cluster: input.name,
      uid: state.uid,
    });
    status.nodePools = layoutsSeeing(observedNodes);
    const brokers = observedNodes.filter((n) => n.roles.includes('broker') && desiredNames.has(n.podName));
    const specAccepted = wasInvalid
      ? [condition_('InvalidSpec', 'False', 'SpecAccepted', 'the spec is valid', generation)]
      : [];
    await kube.patchStatus({
      ...key,
      clear: ['currentOperation'],
      status: {
        ...status,
        brokersReady: `${brokers.filter((n) => n.ready).length}/${brokers.length}`,
        conditions: [
          ...specAccepted,
          ...(outcome.kind === 'zone-unavailable'
            ? [
                condition_('Reconciling', 'False', 'ZoneUnavailable', outcome.message, generation),
                condition_('Ready', 'False', 'ZoneUnavailable', outcome.message, generation),
                condition_('Degraded', 'True', 'ZoneUnavailable', outcome.message, generation),
              ]
            : outcome.kind === 'ready'
              ? [
                  condition_('Reconciling', 'False', 'Idle', 'no operation running', generation),
                  condition_('Ready', 'True', 'Ready', 'every node runs the current spec', generation),
                  condition_('Degraded', 'False', 'Ready', 'the last operation succeeded', generation),
                ]
              : [
                  condition_('Reconciling', 'False', outcome.reason, outcome.message, generation),
                  condition_('Ready', 'False', outcome.reason, outcome.message, generation),
                  condition_('Degraded', 'True', outcome.reason, outcome.message, generation),
                ]),
        ],
      },
    });
    state.lastPlannedGeneration = generation;
    requestsHeld = outcome.kind === 'zone-unavailable';

    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof kafkaClusterWorkflow>({
        ...input,
        lastPlannedGeneration: state.lastPlannedGeneration,
        lastSeenGeneration: state.lastSeenGeneration,
        paused: state.paused,
        ...(state.zoneOutage ? { zoneOutage: state.zoneOutage } : {}),
        backupSchedule,
      });
    }
  }
}
