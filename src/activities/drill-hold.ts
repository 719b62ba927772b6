// A drill's hold, in one heartbeated activity: while the zone is down, a
// probe record is produced and consumed through the brokers outside the
// zone every 10 s, and what failed is counted. A 10-hour hold is 3,600
// probes; made from the workflow, they would carry its history past
// Temporal's limit. The counts so far travel in the heartbeat details, so a
// hold resumed on another worker goes on counting where it stopped. Cancelled
// by the workflow when the drill is aborted.
import { Context } from '@temporalio/activity';
import { whileHeartbeating } from './heartbeats.ts';
import type { podActivities } from './kubernetes/pods.ts';
import type { probeActivities } from './kafka/probe.ts';
import type { ClusterRef } from '../domain/labels.ts';
import { readyBrokerAddresses } from '../domain/observed.ts';
import type { KafkaTlsRef } from '../domain/tls.ts';

export interface HoldChecks {
  probes: number;
  failedProbes: number;
  maxOfflinePartitions: number;
}

/** What the activity uses: the existing observation and probe activities. */
export type DrillHoldDeps = Pick<ReturnType<typeof podActivities>, 'observeNodes'> &
  Pick<ReturnType<typeof probeActivities>, 'probeCluster'> & {
    /** The hold's clock (tests pass one that skips); cancellable sleep. @default real time */
    clock?: { now: () => number; sleep: (ms: number) => Promise<void> };
  };

export const probeIntervalMs = 10_000;
/** A probe that takes longer counts as not finished. */
const probeTimeoutMs = 25_000;

function withinProbeTimeout<T>(probe: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>(
    (resolve) => (timer = setTimeout(() => resolve(undefined), probeTimeoutMs)),
  );
  return Promise.race([probe, timeout]).finally(() => clearTimeout(timer));
}

export function drillHoldActivities(deps: DrillHoldDeps) {
  const clock = deps.clock ?? { now: () => Date.now(), sleep: (ms: number) => Context.current().sleep(ms) };
  return {
    async holdWhileProbing(input: {
      cluster: ClusterRef;
      /** The zone that is down: probes go through the brokers outside it. */
      zone: string;
      port: number;
      /** Keelson's client certificate for a secured cluster (absent in runs recorded before). */
      tls: KafkaTlsRef | null;
      holdMs: number;
      /** Probe records' keys start with it. */
      keyPrefix: string;
    }): Promise<HoldChecks> {
      const resumed = Context.current().info.heartbeatDetails as
        { checks: HoldChecks; heldMs: number } | undefined;
      const checks: HoldChecks = resumed?.checks ?? { probes: 0, failedProbes: 0, maxOfflinePartitions: 0 };
      const until = clock.now() + input.holdMs - (resumed?.heldMs ?? 0);
      const startedAt = clock.now() - (resumed?.heldMs ?? 0);
      const hold = async (): Promise<HoldChecks> => {
        while (clock.now() < until) {
          const observed = await deps.observeNodes({
            namespace: input.cluster.namespace,
            cluster: input.cluster.name,
            uid: input.cluster.uid,
          });
          const bootstrap = {
            addresses: readyBrokerAddresses(
              observed.filter((n) => n.zone !== input.zone),
              input.port,
            ),
            tls: input.tls ?? null,
          };
          const probe = await withinProbeTimeout(
            deps.probeCluster({ bootstrap, key: `${input.keyPrefix}/${checks.probes}-${clock.now()}` }),
          ).catch(() => undefined);
          // A probe that did not finish (it timed out, say) is not a verdict on the cluster.
          if (probe) {
            checks.probes++;
            if (!probe.produced || !probe.consumed) checks.failedProbes++;
            checks.maxOfflinePartitions = Math.max(checks.maxOfflinePartitions, probe.offlinePartitions);
          }
          await clock.sleep(Math.max(0, Math.min(probeIntervalMs, until - clock.now())));
        }
        return checks;
      };
      return whileHeartbeating(() => ({ checks, heldMs: clock.now() - startedAt }), hold);
    },
  };
}
