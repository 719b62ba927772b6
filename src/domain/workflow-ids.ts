// How Keelson's workflows, schedules and signals are found: workflow and
// schedule ids, and the names of the signals other processes send to the
// workflows. Shared by the workflows (which define their signals with these
// names, src/workflows/messages.ts), the activities, the watcher and the CLI,
// so that none of them imports workflow code to find a workflow.

/** The entity workflow of one KafkaCluster. */
export const clusterWorkflowId = (namespace: string, name: string): string =>
  `kafkacluster/${namespace}/${name}`;

/** The workflow that reconciles every KafkaUser of one KafkaCluster. */
export const usersWorkflowId = (namespace: string, cluster: string): string =>
  `kafka-users/${namespace}/${cluster}`;

/** The workflow that reconciles every KafkaTopic of one KafkaCluster. */
export const topicsWorkflowId = (namespace: string, cluster: string): string =>
  `kafka-topics/${namespace}/${cluster}`;

/** The operator-wide roll permits workflow of one task queue. */
export const rollPermitsWorkflowId = (taskQueue: string): string => `keelson/roll-permits/${taskQueue}`;

/** The Temporal Schedule that starts a cluster's backups (spec.backup.schedule, and on demand). */
export const backupScheduleId = (namespace: string, name: string): string => `backup/${namespace}/${name}`;

/** Backup workflows' ids start with this; the schedule appends the time it starts each. */
export const backupWorkflowIdPrefix = (namespace: string, name: string): string =>
  `backup/${namespace}/${name}`;

/** The schedule of a cluster's restore drills, and the prefix of their workflow ids. */
export const restoreDrillScheduleId = (namespace: string, name: string): string =>
  `restore-drill/${namespace}/${name}`;

export const restoreWorkflowId = (namespace: string, name: string, backupId: string): string =>
  `restore/${namespace}/${name}/${backupId}`;

/** Names of the signals sent from outside a workflow (the watcher, activities, the CLI). */
export const signalNames = {
  /** A new generation of the KafkaCluster: { uid, generation }. */
  spec: 'spec',
  /** An owned object changed or went missing, or the KafkaCluster is being deleted: { reason, deleting? }. */
  drift: 'drift',
  /** A roll asks the permits workflow for a permit: { holder, limit }. */
  requestRollPermit: 'requestRollPermit',
  /** A KafkaUser of the cluster changed, or asked to be deleted: { user }. */
  usersChanged: 'usersChanged',
  /** A KafkaTopic of the cluster changed, or asked to be deleted: { topic }. */
  topicsChanged: 'topicsChanged',
} as const;

/** The KafkaCluster a workflow works for, read back from its id (every id above but the permits'). */
export function clusterOfWorkflowId(workflowId: string): { namespace: string; cluster: string } | undefined {
  const match =
    /^(?:kafkacluster|kafka-users|kafka-topics|backup|restore-drill|restore)\/([^/]+)\/([^/]+)/.exec(
      workflowId,
    );
  return match ? { namespace: match[1] ?? '', cluster: match[2] ?? '' } : undefined;
}
