// All of Keelson's activities, built from the clients they need, so the
// worker and integration tests pass real clients pointed at any cluster.
import { defaultMaxConcurrentRolls } from '../domain/roll-limit.ts';
import { noBackupPolicy, type BackupPolicy } from '../domain/backup-policy.ts';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ReconcilePolicy } from '../domain/reconcile-policy.ts';
import type { FinishedOperation } from './kubernetes/cluster.ts';
import { createKubernetesActivities } from './kubernetes-activities.ts';
import { brokerConfigActivities } from './kafka/broker-config.ts';
import { clusterStateActivities } from './kafka/cluster-state.ts';
import { featureActivities } from './kafka/features.ts';
import { leaderActivities } from './kafka/leaders.ts';
import { probeActivities } from './kafka/probe.ts';
import { reassignmentActivities, replicaMoveActivities } from './kafka/reassignment.ts';
import { metadataActivities } from './kafka/metadata.ts';
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
  const kubernetes = createKubernetesActivities(deps);
  const kafka = kafkaClients(deps.kube);
  const kafkaState = clusterStateActivities(kafka);
  const leaders = leaderActivities(kafka);
  const moves = replicaMoveActivities(kafka);
  const assignment = reassignmentActivities(kafka);
  const probes = probeActivities(kafka);
  return {
    ...kubernetes,
    ...metadataActivities(kafka),
    ...kafkaState,
    ...brokerConfigActivities(kafka),
    ...featureActivities(kafka),
    ...certificateActivities(deps.kube, deps.onCertificates),
    ...userActivities({
      kube: deps.kube,
      kafka,
      observeNodes: kubernetes.observeNodes,
      ...(deps.onCertificates ? { observeCertificates: deps.onCertificates } : {}),
    }),
    ...topicActivities({ kube: deps.kube, kafka, observeNodes: kubernetes.observeNodes }),
    ...leaders,
    ...rollDecisionActivities({
      observeNodes: kubernetes.observeNodes,
      observeKafka: kafkaState.observeKafka,
      electPreferredLeaders: leaders.electPreferredLeaders,
      recordEvent: kubernetes.recordEvent,
      patchStatus: kubernetes.patchStatus,
    }),
    ...assignment,
    ...moves,
    ...moveWaitActivities({
      readAssignment: assignment.readAssignment,
      moveProgress: moves.moveProgress,
      patchStatus: kubernetes.patchStatus,
    }),
    ...probes,
    ...drillHoldActivities({ observeNodes: kubernetes.observeNodes, probeCluster: probes.probeCluster }),
    ...backupActivities(deps.kube, backupPolicy),
    ...backupCatalogActivities(deps.kube, backupPolicy),
    ...restoreActivities(deps.kube, backupPolicy),
    ...restoreWriteActivities(deps.kube, backupPolicy),
    ...restoreDrillActivities(deps.kube, backupPolicy),
    ...scratchClusterActivities(deps.kube),
  };
}

export type Activities = ReturnType<typeof createActivities>;
