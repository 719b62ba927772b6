// All of Keelson's activities, built from the clients they need, so the
// worker and integration tests pass real clients pointed at any cluster.
import { defaultMaxConcurrentRolls } from '../domain/roll-limit.ts';
import { noBackupPolicy, type BackupPolicy } from '../domain/backup-policy.ts';
import { defaultReconcilePolicy, type ReconcilePolicy } from '../domain/reconcile-policy.ts';
import type { KubeConfig } from '@kubernetes/client-node';
import { brokerConfigActivities } from './kafka/broker-config.ts';
import { clusterStateActivities } from './kafka/cluster-state.ts';
import { featureActivities } from './kafka/features.ts';
import { leaderActivities } from './kafka/leaders.ts';
import { probeActivities } from './kafka/probe.ts';
import { reassignmentActivities, replicaMoveActivities } from './kafka/reassignment.ts';
import { metadataActivities } from './kafka/metadata.ts';
import { clusterActivities, type FinishedOperation } from './kubernetes/cluster.ts';
import { eventActivities } from './kubernetes/events.ts';
import { objectActivities } from './kubernetes/objects.ts';
import { podActivities, podLifecycleActivities } from './kubernetes/pods.ts';
import { volumeActivities } from './kubernetes/volumes.ts';
import { rollPermitActivities } from './temporal/roll-permits.ts';
import { backupScheduleActivities } from './temporal/backup-schedule.ts';
import { backupActivities, backupCatalogActivities } from './backup/backup-activities.ts';
import { restoreActivities, restoreWriteActivities } from './backup/restore-activities.ts';
import { restoreDrillActivities } from './backup/restore-drill-activities.ts';
import { scratchClusterActivities } from './kubernetes/scratch-cluster.ts';
import { rollDecisionActivities } from './roll-decision.ts';
import { moveWaitActivities } from './kafka/move-wait.ts';
import { drillHoldActivities } from './drill-hold.ts';
import { kafkaClients } from './kafka/client-options.ts';
import { certificateActivities, type CertificatesObserver } from './tls/certificates.ts';
import { userActivities } from './kafka/users.ts';
import { topicActivities } from './kafka/topics.ts';
import { externalServiceActivities } from './kubernetes/external-services.ts';

/** How many clusters may roll at once per operator (task queue), unless configured. */
export { defaultMaxConcurrentRolls };

export function createActivities(deps: {
  kube: KubeConfig;
  maxConcurrentRolls?: number;
  /** Where backups may go; none given: S3 on AWS's own endpoint only. */
  backupPolicy?: BackupPolicy | undefined;
  /** How often the cluster workflows pass without a signal and retry (handed to them with each read of a cluster). */
  reconcilePolicy?: ReconcilePolicy | undefined;
  /** Told of each operation the cluster workflows report finished (for the operator's metrics). */
  onOperationFinished?: (operation: FinishedOperation) => void;
  /** Told of a cluster's certificates, and of its KafkaUsers', and their expiry at each pass (for the operator's metrics). */
  onCertificates?: CertificatesObserver;
}) {
  const backupPolicy = deps.backupPolicy ?? noBackupPolicy;
  const cluster = clusterActivities(
    deps.kube,
    deps.reconcilePolicy ?? defaultReconcilePolicy,
    deps.onOperationFinished,
  );
  const pods = podActivities(deps.kube);
  const events = eventActivities(deps.kube);
  const kafka = kafkaClients(deps.kube);
  const kafkaState = clusterStateActivities(kafka);
  const leaders = leaderActivities(kafka);
  const moves = replicaMoveActivities(kafka);
  const assignment = reassignmentActivities(kafka);
  const probes = probeActivities(kafka);
  return {
    ...cluster,
    ...objectActivities(deps.kube),
    ...externalServiceActivities(deps.kube),
    ...events,
    ...pods,
    ...podLifecycleActivities(deps.kube),
    ...volumeActivities(deps.kube),
    ...metadataActivities(kafka),
    ...kafkaState,
    ...brokerConfigActivities(kafka),
    ...featureActivities(kafka),
    ...certificateActivities(deps.kube, deps.onCertificates),
    ...userActivities({
      kube: deps.kube,
      kafka,
      observeNodes: pods.observeNodes,
      ...(deps.onCertificates ? { observeCertificates: deps.onCertificates } : {}),
    }),
    ...topicActivities({ kube: deps.kube, kafka, observeNodes: pods.observeNodes }),
    ...leaders,
    ...rollDecisionActivities({
      observeNodes: pods.observeNodes,
      observeKafka: kafkaState.observeKafka,
      electPreferredLeaders: leaders.electPreferredLeaders,
      recordEvent: events.recordEvent,
      patchStatus: cluster.patchStatus,
    }),
    ...assignment,
    ...moves,
    ...moveWaitActivities({
      readAssignment: assignment.readAssignment,
      moveProgress: moves.moveProgress,
      patchStatus: cluster.patchStatus,
    }),
    ...probes,
    ...drillHoldActivities({ observeNodes: pods.observeNodes, probeCluster: probes.probeCluster }),
    ...backupScheduleActivities(),
    ...backupActivities(deps.kube, backupPolicy),
    ...backupCatalogActivities(deps.kube, backupPolicy),
    ...restoreActivities(deps.kube, backupPolicy),
    ...restoreWriteActivities(deps.kube, backupPolicy),
    ...restoreDrillActivities(deps.kube, backupPolicy),
    ...scratchClusterActivities(deps.kube),
    ...rollPermitActivities({ maxConcurrentRolls: deps.maxConcurrentRolls ?? defaultMaxConcurrentRolls }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
