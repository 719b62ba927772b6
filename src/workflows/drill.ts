// A zone failover drill, as a child of the cluster workflow, started by hand
// (`keelson drill start`): pre-check that every partition keeps enough
// in-sync replicas and the quorum its majority outside the zone (refused,
// naming what would break, otherwise); move leadership out of the zone; take
// the zone's nodes down; hold (inside one heartbeated activity) while probing that
// produce/consume works and counting partitions without a leader; then fail
// back: start the nodes again, wait for catch-up, put the replica order
// back and elect preferred leaders. An abort at any step goes straight to
// fail-back. Every step's times end up in status.lastDrill and an Event. A
// worker killed mid-drill resumes from history and still fails back.
import {
  condition,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { kafkaAccess, operatorPort, operatorTls, type KafkaAccess } from '../domain/tls.ts';
import type { Activities } from '../activities/index.ts';
import { longWait, probeCall, quickCall, safetyWait } from './activity-options.ts';
import { cancelledWhen } from './cancelled-when.ts';
import type { KafkaClusterSpec, KafkaClusterStatus } from '../crd/kafka-cluster.ts';
import { drillPrecheck } from '../domain/drill.ts';
import { evacuateLeaders, restoreLeaders, waitForReplicasInSync } from './leadership.ts';
import type { ClusterRef } from '../domain/labels.ts';
import { buildClusterManifests } from '../domain/manifests/index.ts';
import type { KafkaNode } from '../domain/nodes.ts';
import { readyBrokerAddresses } from '../domain/observed.ts';
import type { Moves } from '../domain/reassignment.ts';
import { abortDrillSignal } from './messages.ts';

const quick = proxyActivities<Activities>(quickCall);
const waits = proxyActivities<Activities>(longWait);
const probes = proxyActivities<Activities>(probeCall);
const safety = proxyActivities<Activities>(safetyWait);

/** Drills recorded before the hold ran in holdWhileProbing replay with their probing loop. */
export const holdInActivityPatch = 'drill-holds-in-activity';

export type DrillReport = NonNullable<KafkaClusterStatus['lastDrill']>;

export interface DrillInput {
  cluster: ClusterRef;
  spec: KafkaClusterSpec;
  nodes: KafkaNode[];
  zone: string;
  holdMs: number;
}

const probeIntervalMs = 10_000;

const iso = (ms: number): string => new Date(ms).toISOString();

export async function drillWorkflow({
  cluster,
  spec,
  nodes,
  zone,
  holdMs,
}: DrillInput): Promise<DrillReport> {
  let aborted = false;
  setHandler(abortDrillSignal, () => void (aborted = true));
  const { workflowId } = workflowInfo();
  const port = operatorPort(spec);
  const startedAt = Date.now();
  const report: DrillReport = {
    zone,
    workflowId,
    outcome: 'Succeeded',
    startedAt: iso(startedAt),
    finishedAt: '',
    steps: [],
  };
  const details = (text: string): void =>
    setCurrentDetails(`**Drill** ${cluster.namespace}/${cluster.name} zone ${zone}: ${text}`);
  const step = async (name: string): Promise<() => void> => {
    details(name);
    const entry = { name, startedAt: iso(Date.now()) } as DrillReport['steps'][number];
    report.steps.push(entry);
    await quick.patchStatus({
      namespace: cluster.namespace,
      name: cluster.name,
      status: {},
      progress: { step: `drill: ${name}` },
    });
    return () => void (entry.finishedAt = iso(Date.now()));
  };
  const finish = (outcome: DrillReport['outcome'], message?: string) =>
    finishDrill({ cluster, report, details }, outcome, message);
  const access = (addresses: string[]) => kafkaAccess(cluster, spec, addresses);
  const bootstrapOutside = async (): Promise<KafkaAccess> => {
    const observed = await quick.observeNodes({
      namespace: cluster.namespace,
      cluster: cluster.name,
      uid: cluster.uid,
    });
    return access(
      readyBrokerAddresses(
        observed.filter((n) => n.zone !== zone),
        port,
      ),
    );
  };

  // 1. Pre-check: refused here, nothing has been touched.
  let done = await step('pre-check');
  const observed = await quick.observeNodes({
    namespace: cluster.namespace,
    cluster: cluster.name,
    uid: cluster.uid,
  });
  const bootstrapAll = readyBrokerAddresses(observed, port);
  const kafka = await quick.observeKafka({ bootstrap: access(bootstrapAll) });
  const check = drillPrecheck({ zone, nodes: observed, partitions: kafka.partitions, quorum: kafka.quorum });
  done();
  if (!check.ok) return finish('Refused', check.message);
  const zonePods = check.zoneNodes.map((n) => n.podName);
  const zoneIds = check.zoneNodes.map((n) => n.nodeId);
  const bootstrap = access(
    bootstrapAll.filter((a) => !check.zoneNodes.some((n) => a === `${n.address}:${port}`)),
  );
  await quick.ensureProbeTopic({
    bootstrap: access(bootstrapAll),
    replicas: Math.min(3, bootstrapAll.length),
  });

  let originalOrder: Moves = [];
  let failure: string | undefined;
  let zoneDown = false;
  const checks = { probes: 0, failedProbes: 0, maxOfflinePartitions: 0 };
  report.checks = checks;
  try {
    // 2. Leadership out of the zone.
    if (!aborted) {
      done = await step('move leadership out of the zone');
      const evacuationStart = Date.now();
      originalOrder = await evacuateLeaders(bootstrap, zoneIds);
      report.leaderEvacuationSeconds = Math.round((Date.now() - evacuationStart) / 100) / 10;
      done();
    }

    // 3. Zone down.
    if (!aborted) {
      done = await step(`take ${zonePods.join(', ')} down`);
      zoneDown = true;
      await waits.removeNodes({ namespace: cluster.namespace, pods: zonePods, deleteClaims: [] });
      done();
    }

    // 4. Hold, probing.
    if (!aborted) {
      done = await step(`hold for ${Math.round(holdMs / 1000)} s`);
      if (patched(holdInActivityPatch)) {
        details(`holding the zone down for ${Math.round(holdMs / 1000)} s, probing every 10 s`);
        const held = await cancelledWhen(
          () => aborted,
          () =>
            safety.holdWhileProbing.executeWithOptions(
              {
                ...safetyWait,
                startToCloseTimeout: holdMs + 10 * 60_000,
                summary: `hold zone ${zone} down for ${Math.round(holdMs / 1000)} s, probing`,
              },
              [{ cluster, zone, port, tls: operatorTls(cluster, spec), holdMs, keyPrefix: workflowId }],
            ),
        );
        if (held) Object.assign(checks, held);
      } else {
        await holdWhileProbing({
          until: Date.now() + holdMs,
          workflowId,
          checks,
          bootstrap: bootstrapOutside,
          details,
          aborted: () => aborted,
        });
      }
      done();
    }
  } catch (err) {
    failure = err instanceof Error ? err.message : String(err);
  } finally {
    // 5. Fail back, whatever happened above.
    done = await step('fail back');
    report.recoverySeconds = await failBack({
      input: { cluster, spec, nodes },
      zonePods,
      zoneIds,
      zoneDown,
      originalOrder,
      details,
    });
    done();
  }
  return failure ? finish('Failed', failure) : finish(aborted ? 'Aborted' : 'Succeeded');
}

/**
 * Holds the zone down until `until` (or an abort), producing and consuming a
 * probe record through the brokers outside the zone every 10 s and counting
 * what failed and how many partitions were offline.
 */
async function holdWhileProbing(hold: {
  until: number;
  workflowId: string;
  checks: { probes: number; failedProbes: number; maxOfflinePartitions: number };
  bootstrap: () => Promise<KafkaAccess>;
  details: (text: string) => void;
  aborted: () => boolean;
}): Promise<void> {
  const { checks, details } = hold;
  while (!hold.aborted() && Date.now() < hold.until) {
    const key = `${hold.workflowId}/${checks.probes}-${Date.now()}`;
    const probe = await probes
      .probeCluster({ bootstrap: await hold.bootstrap(), key })
      .catch(() => undefined);
    if (probe) {
      checks.probes++;
      if (!probe.produced || !probe.consumed) checks.failedProbes++;
      checks.maxOfflinePartitions = Math.max(checks.maxOfflinePartitions, probe.offlinePartitions);
      details(
        `holding: ${checks.probes} probes, ${checks.failedProbes} failed, ${probe.offlinePartitions} partitions offline`,
      );
    } else {
      // The probe itself did not finish (its worker died, or it timed out): not a verdict on the cluster.
      details(`holding: a probe did not finish; ${checks.probes} probes so far`);
    }
    await condition(() => hold.aborted(), Math.max(0, Math.min(probeIntervalMs, hold.until - Date.now())));
  }
}

/**
 * Brings the zone's nodes back (when it was taken down), waits until their
 * replicas are in sync again and gives preferred leadership back; returns
 * how long recovery took, in seconds.
 */
async function failBack(back: {
  input: Pick<DrillInput, 'cluster' | 'spec' | 'nodes'>;
  zonePods: string[];
  zoneIds: number[];
  zoneDown: boolean;
  originalOrder: Moves;
  details: (text: string) => void;
}): Promise<number> {
  const { cluster, spec, nodes } = back.input;
  const recoveryStart = Date.now();
  if (back.zoneDown) {
    const manifests = buildClusterManifests(cluster, spec, nodes);
    await quick.applyObjects(manifests.pods.filter((p) => back.zonePods.includes(p.metadata?.name ?? '')));
    await waits.waitForPodsReady({
      namespace: cluster.namespace,
      cluster: cluster.name,
      pods: back.zonePods,
    });
  }
  const everything = kafkaAccess(
    cluster,
    spec,
    readyBrokerAddresses(
      await quick.observeNodes({ namespace: cluster.namespace, cluster: cluster.name, uid: cluster.uid }),
      operatorPort(spec),
    ),
  );
  await waitForReplicasInSync(everything, back.zoneIds, (text) => back.details(`fail back: ${text}`));
  const seconds = Math.round((Date.now() - recoveryStart) / 100) / 10;
  await restoreLeaders(everything, back.originalOrder);
  return seconds;
}

/** Writes the drill's report to status.lastDrill and as an Event, and returns it. */
async function finishDrill(
  drill: { cluster: DrillInput['cluster']; report: DrillReport; details: (text: string) => void },
  outcome: DrillReport['outcome'],
  message?: string,
): Promise<DrillReport> {
  const { cluster, report } = drill;
  report.outcome = outcome;
  if (message) report.message = message;
  report.finishedAt = iso(Date.now());
  await quick.patchStatus({
    namespace: cluster.namespace,
    name: cluster.name,
    status: { lastDrill: report },
  });
  await quick.recordEvent({
    cluster,
    key: `${report.workflowId}/report`,
    type: outcome === 'Succeeded' ? 'Normal' : 'Warning',
    reason: `Drill${outcome}`,
    action: 'Drill',
    note: `drill of zone ${report.zone}: ${outcome}${message ? ` (${message})` : ''}; leaders evacuated in ${report.leaderEvacuationSeconds ?? '-'} s, recovered in ${report.recoverySeconds ?? '-'} s, ${report.checks?.failedProbes ?? 0} of ${report.checks?.probes ?? 0} probes failed, at most ${report.checks?.maxOfflinePartitions ?? 0} partitions offline`,
  });
  drill.details(`${outcome}${message ? `: ${message}` : ''}`);
  return report;
}
