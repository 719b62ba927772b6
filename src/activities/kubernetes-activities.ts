// The activities that talk only to the API server and Temporal: what a pass
// of a cluster with no broker to ask (paused, new, being deleted) needs. Kept
// apart from index.ts so that the worker can run them without loading the
// Kafka client (which compiles its schemas as it loads), the backup store's
// client or the certificate code: an idle operator, or one whose clusters are
// paused, does not hold them (see lazy-activities.ts).
import type { KubeConfig } from '@kubernetes/client-node';
import { defaultMaxConcurrentRolls } from '../domain/roll-limit.ts';
import { defaultReconcilePolicy, type ReconcilePolicy } from '../domain/reconcile-policy.ts';
import { clusterActivities, type FinishedOperation } from './kubernetes/cluster.ts';
import { eventActivities } from './kubernetes/events.ts';
import { externalServiceActivities } from './kubernetes/external-services.ts';
import { objectActivities } from './kubernetes/objects.ts';
import { podActivities, podLifecycleActivities } from './kubernetes/pods.ts';
import { volumeActivities } from './kubernetes/volumes.ts';
import { backupScheduleActivities } from './temporal/backup-schedule.ts';
import { rollPermitActivities } from './temporal/roll-permits.ts';

export interface KubernetesActivityDeps {
  kube: KubeConfig;
  maxConcurrentRolls?: number | undefined;
  /** How often the cluster workflows pass without a signal and retry (handed to them with each read of a cluster). */
  reconcilePolicy?: ReconcilePolicy | undefined;
  /** Told of each operation the cluster workflows report finished (for the operator's metrics). */
  onOperationFinished?: ((operation: FinishedOperation) => void) | undefined;
}

export function createKubernetesActivities(deps: KubernetesActivityDeps) {
  return {
    ...clusterActivities(deps.kube, deps.reconcilePolicy ?? defaultReconcilePolicy, deps.onOperationFinished),
    ...objectActivities(deps.kube),
    ...externalServiceActivities(deps.kube),
    ...eventActivities(deps.kube),
    ...podActivities(deps.kube),
    ...podLifecycleActivities(deps.kube),
    ...volumeActivities(deps.kube),
    ...backupScheduleActivities(),
    ...rollPermitActivities({ maxConcurrentRolls: deps.maxConcurrentRolls ?? defaultMaxConcurrentRolls }),
  };
}

export type KubernetesActivities = ReturnType<typeof createKubernetesActivities>;
