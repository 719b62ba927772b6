// What the cluster workflow takes from outside: spec and drift signals (the
// watcher), the pause, resume, roll, drill and backup Updates (the CLI, the
// annotations), and the state query. Handlers only record into the state;
// the loop acts on it at its next safe point. Updates validate first, so a
// refusal changes nothing and comes back at once.
import { proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { parseDurationMs } from '../crd/duration.ts';
import { backupScheduleInput, backupScheduleKey } from '../domain/backup-schedule-key.ts';
import { failure } from '../domain/failures.ts';
import { specCheckOf } from './spec-check.ts';
import { quickCall } from './activity-options.ts';
import { clusterView, type ClusterState } from './cluster-state.ts';
import { payloads, requireValidUpdate, validSignal } from './message-payloads.ts';
import {
  abortDrillSignal,
  abortDrillUpdate,
  backupUpdate,
  driftSignal,
  drillUpdate,
  pauseUpdate,
  resumeUpdate,
  rollUpdate,
  rotateCertificatesUpdate,
  specSignal,
  stateQuery,
} from './messages.ts';

const quick = proxyActivities<Activities>(quickCall);

/** Every handler of the cluster workflow: signals, the state query, and the Updates. */
export function installHandlers(state: ClusterState, key: { namespace: string; name: string }): void {
  setHandler(specSignal, (payload) => {
    const change = validSignal(payloads.spec, 'spec', payload);
    if (!change) return;
    state.specSignals++;
    // Another incarnation of the same name: checked against the API server
    // before this run hands over to it (a stale signal changes nothing).
    if (change.uid !== state.uid) {
      state.successor = change;
      return;
    }
    if (change.generation <= state.lastSeenGeneration) return; // an old generation
    state.lastSeenGeneration = change.generation;
  });
  setHandler(stateQuery, () => clusterView(state));
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
  setHandler(
    rotateCertificatesUpdate,
    ({ reason, ca }) => {
      // Workflow time: the same token on replay. Each Secret records the rotation once done for it.
      state.certificateRotation = { token: String(Date.now()), reason, ...(ca ? { ca } : {}) };
      return { accepted: true } as const;
    },
    {
      validator: (request) => {
        requireValidUpdate(payloads.rotateCertificates, 'rotateCertificates', request);
        if (state.paused) throw new Error('the cluster is paused: resume it first');
        if (state.invalidSpec) throw new Error(`the spec is invalid: ${state.invalidSpec}`);
        if (state.lastSpec && state.lastSpec.security === undefined)
          throw new Error('the cluster has no spec.security: it has no certificates to rotate');
        if (state.certificateRotation) throw new Error('a certificate rotation is already waiting to start');
        if (request.ca && state.lastSpec?.security?.clusterCa.secretName !== undefined)
          throw new Error(
            'the cluster CA is one you provide (security.clusterCa.secretName): Keelson never replaces it',
          );
        if (request.ca && state.caRenewalPhase)
          throw new Error(`a cluster CA renewal is already under way (${state.caRenewalPhase})`);
      },
    },
  );
  installRequestUpdates(state, key);
}

/** The backup, drill and abort-drill Updates: requests that start workflows or wait their turn. */
function installRequestUpdates(state: ClusterState, key: { namespace: string; name: string }): void {
  setHandler(
    backupUpdate,
    async () => {
      // The spec as it is now: a backup target added a moment ago counts before the next plan.
      const current = await quick.readCluster(key);
      const checked = current ? await specCheckOf(current) : undefined;
      const backup = checked && 'spec' in checked ? checked.spec.backup : undefined;
      if (!backup) {
        throw failure(
          'InvalidSpec',
          `${key.namespace}/${key.name} has no spec.backup: set a backup target first`,
        );
      }
      const requestedAt = new Date().toISOString();
      const { scheduleId } = await quick.syncBackupSchedule({
        ...key,
        backup: backupScheduleInput(backup),
        trigger: true,
      });
      state.backupSchedule = backupScheduleKey(backup);
      return { scheduleId, requestedAt };
    },
    {
      validator: () => {
        if (state.deleting) throw new Error('the cluster is being deleted');
      },
    },
  );
  setHandler(
    drillUpdate,
    ({ zone, hold }) => {
      const holdMs = parseDurationMs(hold ?? state.lastSpec?.drill.defaultHold ?? '10m');
      state.drill = { zone, holdMs, running: false };
      return { accepted: true, holdMs } as const;
    },
    {
      validator: (request) => {
        requireValidUpdate(payloads.drill, 'drill', request);
        const { zone, hold } = request;
        const spec = state.lastSpec;
        if (state.paused) throw new Error('the cluster is paused: resume it first');
        if (state.invalidSpec) throw new Error(`the spec is invalid: ${state.invalidSpec}`);
        if (!spec) throw new Error('the cluster has not been provisioned yet');
        if (state.drill)
          throw new Error(
            `a drill of ${state.drill.zone} is already ${state.drill.running ? 'running' : 'waiting'}`,
          );
        const zones = [...new Set(spec.nodePools.flatMap((p) => p.zones))];
        if (!zones.includes(zone))
          throw new Error(`zone ${zone} is not one of the cluster's zones (${zones.join(', ')})`);
        if (hold !== undefined) {
          const ms = parseDurationMs(hold); // throws with the reason when it is not a duration
          if (ms <= 0) throw new Error('the hold must be longer than 0s');
          if (ms > parseDurationMs(spec.drill.maxHold))
            throw new Error(`hold ${hold} is longer than spec.drill.maxHold (${spec.drill.maxHold})`);
        }
      },
    },
  );
  setHandler(
    abortDrillUpdate,
    () => {
      if (state.drill?.running && state.runningDrill) {
        void state.runningDrill.signal(abortDrillSignal);
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
}
