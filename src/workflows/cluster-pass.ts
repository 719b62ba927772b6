// The steps of one pass of the cluster workflow, each a function the
// workflow's loop calls in order: accept the spec (or report it invalid),
// converge (run operations one at a time until the plan is empty, each
// through cluster-operation.ts), report the pass in status. The order of
// their activity calls and child workflows is the workflow's history:
// changing it needs a patch (see the replay test).
import { getExternalWorkflowHandle, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import { usersWorkflowId } from '../domain/workflow-ids.ts';
import { usersChangedSignal } from './kafka-users.ts';
import type { Activities } from '../activities/index.ts';
import { parseDurationMs } from '../crd/duration.ts';
import type { KafkaClusterSpec, KafkaClusterStatus } from '../crd/kafka-cluster.ts';
import { backupScheduleInput, backupScheduleKey } from '../domain/backup-schedule-key.ts';
import { caRenewalPhases, clientsCaRenewalPhases, expiringAuthorities } from '../domain/certificates.ts';
import { conditionsAfterPass, invalidSpecCondition, type PassOutcome } from '../domain/cluster-conditions.ts';
import { chooseOperation, type ZoneFailoverOperation } from '../domain/cluster-operations.ts';
import { rootCause } from '../domain/failure-message.ts';
import { failureType } from '../domain/failures.ts';
import type { ClusterRef } from '../domain/labels.ts';
import {
  bootstrapAddress,
  buildClusterManifests,
  externalListeners,
  externalTlsHosts,
  nodeConfigHash,
} from '../domain/manifests/index.ts';
import { planNodes, planPoolLayouts, type KafkaNode } from '../domain/nodes.ts';
import { nodesNotReady, readyBrokerAddresses, type ObservedNode } from '../domain/observed.ts';
import { planOperations } from '../domain/planner.ts';
import { assessZones } from '../domain/zone-outage.ts';
import {
  kafkaAccess,
  nextSecurityStage,
  nodeDnsNames,
  operatorPort,
  securityStageOf,
  securityStageSteps,
  withSecurityStage,
  type KafkaAccess,
  type SecurityStage,
  type StagedSpec,
} from '../domain/tls.ts';
import { bestEffortRead, quickCall } from './activity-options.ts';
import { retryView, type ClusterState } from './cluster-state.ts';
import { runOperation } from './cluster-operation.ts';
import { specCheckOf } from './spec-check.ts';

const quick = proxyActivities<Activities>(quickCall);
const reads = proxyActivities<Activities>(bestEffortRead);

/** A bound on operations per generation, so a plan that never converges cannot loop forever. */
const maxOperationsPerGeneration = 10;
// Workflows that started before backups existed replay without the schedule steps.
export const backupPatch = 'backup-schedule';
// Runs recorded before drift passes put the shared objects back replay without that step.
export const restoreSharedObjectsPatch = 'restore-shared-objects';
// Runs recorded before a pass's report reused converge's observation observe the nodes again.
export const reportReusesObservationPatch = 'report-reuses-observation';

export type ClusterKey = { namespace: string; name: string };
export type Snapshot = NonNullable<Awaited<ReturnType<Activities['readCluster']>>>;
export type SearchAttributes = Record<string, string[]>;

/** Kafka's view for the planner; unknown (nothing planned from it) when no broker answers. */
async function observeSettings(
  bootstrap: KafkaAccess,
): Promise<{ dynamicConfig: Record<string, string> | undefined; metadataVersion: string | undefined }> {
  if (bootstrap.addresses.length === 0) return { dynamicConfig: undefined, metadataVersion: undefined };
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

/**
 * The spec of this snapshot, with the backup schedules made to match it; or,
 * when the check (see spec-check.ts) or the Temporal server (a schedule) refuses it, undefined after
 * reporting the InvalidSpec condition.
 */
export async function acceptSpec(
  state: ClusterState,
  key: ClusterKey,
  snapshot: Snapshot,
): Promise<KafkaClusterSpec | undefined> {
  const generation = snapshot.generation;
  const checked = await specCheckOf(snapshot);
  const spec = 'spec' in checked ? checked.spec : undefined;
  const refusedBy =
    spec && patched(backupPatch) && backupScheduleKey(spec.backup) !== state.backupSchedule
      ? await quick.syncBackupSchedule({ ...key, backup: backupScheduleInput(spec.backup) }).then(
          () => ((state.backupSchedule = backupScheduleKey(spec.backup)), undefined),
          (err: unknown) => {
            if (failureType(err) !== 'InvalidSpec') throw err;
            return `backup.schedule: ${rootCause(err)}`;
          },
        )
      : undefined;
  if (spec && !refusedBy) return spec;
  state.invalidSpec = (refusedBy ?? ('problems' in checked ? checked.problems : '')).slice(0, 4000);
  await quick.patchStatus({
    ...key,
    clear: ['retry'],
    status: {
      observedGeneration: generation,
      conditions: [invalidSpecCondition(state.invalidSpec, generation, new Date())],
    },
  });
  state.lastPlannedGeneration = generation;
  return undefined;
}

/** What a pass plans from: the accepted spec and the nodes it asks for. */
export interface PassPlan {
  key: ClusterKey;
  cluster: ClusterRef;
  /** With the security stage the pass runs the nodes at (see SecurityStage). */
  spec: KafkaClusterSpec & StagedSpec;
  generation: number;
  /** The status written as the pass goes (node pools, versions, the last operation). */
  status: Partial<KafkaClusterStatus>;
  nodes: ReturnType<typeof planNodes>;
  desired: (ReturnType<typeof planNodes>[number] & { configHash: string })[];
  desiredNames: Set<string>;
  /** The node pools as status records them, given what is observed (a removed pool stays while anything of it is left). */
  layoutsSeeing: (observed: readonly ObservedNode[]) => ReturnType<typeof planPoolLayouts>;
  /** The pass began with drift to look at, not a new generation. */
  drift: boolean;
  /** The security stage status recorded when the pass began. */
  recordedStage: SecurityStage | undefined;
  /** Status recorded external listeners when the pass began: their Services may need deleting. */
  recordedExternal: boolean;
  clusterAttributes: SearchAttributes;
  /** The nodes as converge last saw them, when it ended without running anything after: the report reuses them. */
  observedAtEnd?: ObservedNode[];
}

export function planPass(
  state: ClusterState,
  key: ClusterKey,
  snapshot: Snapshot,
  spec: KafkaClusterSpec & StagedSpec,
  clusterAttributes: SearchAttributes,
): PassPlan {
  const generation = snapshot.generation;
  const cluster: ClusterRef = { ...key, uid: state.uid };
  const knownLayouts = snapshot.status?.nodePools ?? [];
  const layouts = planPoolLayouts(spec.nodePools, knownLayouts);
  const nodes = planNodes(
    cluster.name,
    spec,
    Object.fromEntries(layouts.map((p) => [p.name, p.nodeIdBase])),
    Object.fromEntries(layouts.map((p) => [p.name, p.nodeZones ?? []])),
  );
  const desired = withConfigHashes(cluster, spec, nodes);
  const drift = state.driftReported !== undefined && generation <= state.lastPlannedGeneration;
  state.driftReported = undefined;
  return {
    key,
    cluster,
    spec,
    generation,
    status: {
      observedGeneration: generation,
      kafkaVersion: spec.kafkaVersion,
      bootstrapAddress: bootstrapAddress(cluster, spec),
      nodePools: layouts,
      securityStage: securityStageOf(spec),
    },
    nodes,
    desired,
    desiredNames: new Set(desired.map((n) => n.podName)),
    layoutsSeeing: (observed) =>
      planPoolLayouts(spec.nodePools, knownLayouts, (pool) => observed.some((n) => n.pool === pool)),
    drift,
    recordedStage: snapshot.status?.securityStage,
    recordedExternal: (snapshot.status?.externalListeners?.length ?? 0) > 0,
    clusterAttributes,
  };
}

/** Each node with the hash of what it must run with (see nodeConfigHash). */
function withConfigHashes(
  cluster: ClusterRef,
  spec: KafkaClusterSpec & StagedSpec,
  nodes: KafkaNode[],
): PassPlan['desired'] {
  return nodes.map((node) => {
    const pool = spec.nodePools.find((p) => p.name === node.pool);
    return { ...node, configHash: pool ? nodeConfigHash(cluster, spec, nodes, node, pool) : '' };
  });
}

/**
 * The external listeners' Services, and where each broker is reached on
 * them: what it must advertise is part of its config hash, so a node port or
 * a load balancer address that changes rolls the brokers, like any change.
 */
async function exposeListeners(plan: PassPlan): Promise<void> {
  const exposed = await quick.exposeListeners.executeWithOptions(
    {
      ...quickCall,
      // A cloud load balancer may take minutes to get its address; the wait heartbeats.
      startToCloseTimeout: '15 minutes',
      heartbeatTimeout: '30 seconds',
      summary: "apply the external listeners' Services and wait for their addresses",
    },
    [{ cluster: plan.cluster, listeners: externalListeners(plan.spec), nodes: plan.nodes }],
  );
  plan.status.externalListeners = exposed.listeners;
  const byPod = new Map(exposed.nodes.map((n) => [n.podName, n.external]));
  plan.nodes = plan.nodes.map((node) => {
    const external = byPod.get(node.podName);
    return external ? { ...node, external } : node;
  });
  plan.desired = withConfigHashes(plan.cluster, plan.spec, plan.nodes);
}

/**
 * A secured cluster's certificates: issued, renewed when due, before any
 * node's pod (a pod mounts its certificate's Secret and cannot start without
 * it). A node whose certificate or trusted CAs changed must restart with them:
 * what it runs with is part of its config hash, so the plan rolls it. Called
 * at every round of a pass, so a CA renewal's next phase starts as soon as the
 * roll of the one before has ended.
 */
async function issueCertificates(state: ClusterState, plan: PassPlan): Promise<void> {
  const { cluster, spec } = plan;
  if (spec.security === undefined) return;
  const rotation = state.certificateRotation;
  const { certificates, issued, caRenewal, clientsCaRenewal } =
    await quick.ensureCertificates.executeWithOptions(
      {
        ...quickCall,
        // It heartbeats per certificate: a worker that dies in it is noticed within seconds, not 30.
        heartbeatTimeout: '10 seconds',
        summary: state.caRenewalPhase
          ? `cluster CA renewal ${caRenewalPhases[state.caRenewalPhase]}: move on once every node runs it`
          : 'issue missing certificates and renew those due',
      },
      [
        {
          cluster,
          clusterCa: spec.security.clusterCa,
          clientsCa: spec.security.clientsCa,
          nodes: plan.nodes.map((node) => ({
            podName: node.podName,
            dnsNames: [...nodeDnsNames(cluster, node), ...externalTlsHosts(spec, node)],
          })),
          ...(rotation && !rotation.ca ? { rotation: rotation.token } : {}),
          ...(rotation?.ca ? { caRotation: rotation.token } : {}),
        },
      ],
    );
  // Carried out: every certificate now records the rotation; the roll that follows is planned as usual.
  if (rotation && state.certificateRotation?.token === rotation.token) state.certificateRotation = undefined;
  plan.status.certificates = certificates;
  const marks = new Map(certificates.map((c) => [c.pod, c.mark]));
  plan.nodes = plan.nodes.map((node) => {
    const certificate = marks.get(node.podName);
    return certificate === undefined ? node : { ...node, certificate };
  });
  plan.desired = withConfigHashes(cluster, spec, plan.nodes);
  // Told by the phase seen, not by the action: an attempt killed after it moved the CA on
  // leaves its retry nothing to do, and the phase is still new to the workflow.
  const renewals = [
    {
      kind: 'cluster-ca',
      name: 'cluster CA',
      steps: caRenewalPhases,
      outcome: caRenewal,
      seen: state.caRenewalPhase,
    },
    // Results recorded before clients CA renewals have none.
    {
      kind: 'clients-ca',
      name: 'clients CA',
      steps: clientsCaRenewalPhases,
      outcome: clientsCaRenewal ?? { action: 'none' },
      seen: state.clientsCaRenewalPhase,
    },
  ] as const;
  state.caRenewalPhase = caRenewal.phase;
  state.clientsCaRenewalPhase = clientsCaRenewal?.phase;
  for (const { kind, steps, outcome } of renewals) {
    const field = kind === 'cluster-ca' ? 'caRenewal' : 'clientsCaRenewal';
    if (outcome.phase) plan.status[field] = { phase: outcome.phase, step: steps[outcome.phase] };
    else delete plan.status[field];
  }
  for (const { kind, name, steps, outcome, seen } of renewals) {
    if (outcome.phase === seen && outcome.action === 'none') continue;
    // The users' Secrets carry the cluster CAs to trust, and their certificates come from the
    // clients CA: their workflow puts the new ones in at once.
    await getExternalWorkflowHandle(usersWorkflowId(cluster.namespace, cluster.name))
      .signal(usersChangedSignal, { user: `${name} renewal` })
      .catch(() => undefined); // no users workflow: no users
    const ca = certificates.find((c) => c.kind === kind);
    await quick.recordEvent({
      cluster,
      key: `ca-renewal/${ca?.secret}/${outcome.phase ?? 'finished'}/${ca?.serial}`,
      type: 'Normal',
      reason: 'CertificateAuthorityRenewal',
      action: 'Renew',
      note: outcome.phase
        ? `${name} renewal ${steps[outcome.phase]}${kind === 'clients-ca' && outcome.phase === 'reissue' ? '' : ' (every node restarts with it in a roll)'}`
        : kind === 'cluster-ca'
          ? `cluster CA renewal finished: every node runs a certificate of the new CA (serial ${ca?.serial}) and trusts only it`
          : `clients CA renewal finished: the brokers trust only the new clients CA (serial ${ca?.serial})`,
    });
  }
  // Keelson renews its own CAs; a CA you provide it only warns of.
  const expiring = expiringAuthorities(
    certificates.filter((c) => c.userProvided),
    { 'cluster-ca': spec.security.clusterCa.renewalDays, 'clients-ca': spec.security.clientsCa.renewalDays },
    Date.now(),
  );
  for (const ca of expiring) {
    await quick.recordEvent({
      cluster,
      key: `ca-expiring/${ca.secret}/${ca.serial}`,
      type: 'Warning',
      reason: 'CertificateAuthorityExpiring',
      action: 'Check',
      note: `the ${ca.kind} in Secret ${ca.secret} expires at ${ca.notAfter}: Keelson never replaces a CA you provide; put a new one in place before then`,
    });
  }
  for (const { secret, reason } of issued) {
    const serial = certificates.find((c) => c.secret === secret)?.serial ?? '';
    await quick.recordEvent({
      cluster,
      key: `certificate/${secret}/${serial}`,
      type: 'Normal',
      reason: reason.startsWith('none issued') ? 'CertificateIssued' : 'CertificateRenewed',
      action: 'Issue',
      note: `issued the certificate in Secret ${secret} (serial ${serial}): ${reason}`,
    });
  }
}

/**
 * Runs operations one at a time until the plan is empty, re-observing after
 * each: the plan is only ever trusted for the cluster as it is.
 */
export async function converge(state: ClusterState, plan: PassPlan): Promise<PassOutcome> {
  const { key, status } = plan;
  const pass = workflowInfo().historyLength;
  for (let round = 0; round < maxOperationsPerGeneration; round++) {
    const spec = plan.spec; // a security upgrade's next stage changes it between rounds
    if (round === 0 && securityStageOf(spec) === 'tls-added' && plan.recordedStage !== 'tls-added')
      await moveToSecurityStage(state, plan, 'tls-added');
    // Only for clusters with external listeners, now or before: other histories replay unchanged.
    if (externalListeners(spec).length > 0 || plan.recordedExternal) await exposeListeners(plan);
    await issueCertificates(state, plan);
    const observedNodes = await quick.observeNodes({
      namespace: key.namespace,
      cluster: key.name,
      uid: state.uid,
    });
    status.nodePools = plan.layoutsSeeing(observedNodes);
    const settings = await observeSettings(
      kafkaAccess(plan.cluster, spec, readyBrokerAddresses(observedNodes, operatorPort(spec))),
    );
    if (settings.metadataVersion) status.metadataVersion = settings.metadataVersion;
    // A zone with every pod unready comes before the plan: nothing else runs while it is out.
    const zone = assessZones({
      nodes: observedNodes.filter((n) => plan.desiredNames.has(n.podName)),
      tracked: state.zoneOutage,
      nowMs: Date.now(),
      failoverAfterMs: parseDurationMs(spec.zoneFailover.after),
    });
    const zoneFailover: ZoneFailoverOperation | undefined =
      zone.kind === 'failback' || (zone.kind === 'failover' && spec.zoneFailover.enabled)
        ? {
            type: 'failover',
            zone: zone.outage.zone,
            ...(zone.outage.originalOrder ? { originalOrder: zone.outage.originalOrder } : {}),
          }
        : undefined;
    state.zoneOutage =
      zone.kind === 'available' || (!spec.zoneFailover.enabled && zone.kind !== 'failback')
        ? undefined
        : zone.outage;
    if (zone.kind === 'waiting' && spec.zoneFailover.enabled) {
      return {
        kind: 'zone-unavailable',
        message: `every pod of zone ${zone.outage.zone} is unready (since ${new Date(zone.outage.unreadySince).toISOString()}); leadership moves out of it at ${new Date(zone.failoverAtMs).toISOString()} unless it returns, and no other operation starts meanwhile`,
      };
    }
    const choice = chooseOperation({
      zoneFailover,
      planned: zoneFailover
        ? undefined
        : planOperations(spec, plan.desired, { nodes: observedNodes, ...settings })[0],
      forcedRoll: state.forcedRoll,
      drill: state.drill,
      round,
      observed: observedNodes,
    });
    if (!choice) {
      const unready = nodesNotReady(observedNodes, plan.desiredNames);
      const nextStage = unready ? undefined : nextSecurityStage(securityStageOf(spec));
      if (nextStage) {
        await moveToSecurityStage(state, plan, nextStage);
        continue;
      }
      if (plan.drift && patched(restoreSharedObjectsPatch)) await restoreSharedObjects(plan);
      plan.observedAtEnd = observedNodes;
      return unready ? { kind: 'failed', ...unready, retries: true } : { kind: 'ready' };
    }
    const ended = await runOperation(state, plan, choice, { observed: observedNodes, round, pass });
    if (ended) return ended;
  }
  return { kind: 'ready' };
}

/**
 * The next stage of a plaintext cluster's way to TLS, once every node runs
 * the one before and is Ready: recorded in status first (what Keelson's
 * other connections go by, and where a new workflow picks it up), then
 * carried out by the roll the next round plans from the changed config.
 */
async function moveToSecurityStage(state: ClusterState, plan: PassPlan, stage: SecurityStage): Promise<void> {
  const step = securityStageSteps[stage as keyof typeof securityStageSteps];
  plan.spec = withSecurityStage(plan.spec, stage);
  state.lastSpec = plan.spec;
  plan.desired = withConfigHashes(plan.cluster, plan.spec, plan.nodes);
  plan.status.securityStage = stage;
  await quick.patchStatus.executeWithOptions({ ...quickCall, summary: `security upgrade ${step}` }, [
    { ...plan.key, status: { securityStage: stage } },
  ]);
  await recordSecurityStage(plan);
}

/** An Event for each stage of a security upgrade, once. */
async function recordSecurityStage(plan: PassPlan): Promise<void> {
  const stage = securityStageOf(plan.spec);
  if (!(stage in securityStageSteps)) return;
  await quick.recordEvent({
    cluster: plan.cluster,
    key: `security-stage/${plan.cluster.uid}/${stage}`,
    type: 'Normal',
    reason: 'SecurityUpgrade',
    action: 'Upgrade',
    note: `security upgrade ${securityStageSteps[stage as keyof typeof securityStageSteps]} (every node restarts with it in a roll)`,
  });
}

/**
 * Puts back the objects every node relies on (the shared ConfigMap, the
 * Services, the PodDisruptionBudgets) when they were changed or deleted
 * behind Keelson's back, and says so in an Event. Only once no operation is
 * left: then they are what the operations of this generation applied.
 */
async function restoreSharedObjects(plan: PassPlan): Promise<void> {
  const { shared } = buildClusterManifests(plan.cluster, plan.spec, plan.nodes);
  const putBack = await quick.applyObjects.executeWithOptions(
    { ...quickCall, summary: 'put back changed or deleted shared objects' },
    [shared],
  );
  if (putBack.length === 0) return;
  await quick.recordEvent({
    cluster: plan.cluster,
    key: `drift/${plan.generation}/${workflowInfo().historyLength}`,
    type: 'Warning',
    reason: 'DriftRepaired',
    action: 'Reconcile',
    note: `put back ${putBack.join(', ')}: changed or deleted outside Keelson`,
  });
}

/** Writes what the pass ended with: node pools, brokers ready, the conditions, the next retry. */
export async function reportPass(
  state: ClusterState,
  plan: PassPlan,
  outcome: Exclude<PassOutcome, { kind: 'superseded' }>,
  specWasInvalid: boolean,
): Promise<void> {
  const { key, status, generation } = plan;
  // Nothing ran since converge observed the nodes: one observation serves both (one workflow
  // task and one activity less per pass, for every cluster at every resync).
  const observedNodes =
    plan.observedAtEnd && patched(reportReusesObservationPatch)
      ? plan.observedAtEnd
      : await quick.observeNodes({
          namespace: key.namespace,
          cluster: key.name,
          uid: state.uid,
        });
  status.nodePools = plan.layoutsSeeing(observedNodes);
  const brokers = observedNodes.filter((n) => n.roles.includes('broker') && plan.desiredNames.has(n.podName));
  const retry = state.scheduledRetry;
  await quick.patchStatus({
    ...key,
    clear: [
      'currentOperation',
      ...(retry ? [] : (['retry'] as const)),
      // A secured cluster's status shows a CA renewal only while one is under way.
      ...(state.caRenewalPhase || !plan.spec.security ? [] : (['caRenewal'] as const)),
      ...(state.clientsCaRenewalPhase || !plan.spec.security ? [] : (['clientsCaRenewal'] as const)),
    ],
    status: {
      ...status,
      brokersReady: `${brokers.filter((n) => n.ready).length}/${brokers.length}`,
      conditions: conditionsAfterPass(outcome, generation, specWasInvalid, new Date(), retry),
      ...(retry ? { retry: retryView(retry) } : {}),
    },
  });
}
