// The name of every activity, known without loading the activities' modules
// (see lazy-activities.ts). The type check below fails, naming it, when an
// activity is missing from the list.
import type { Activities } from './index.ts';
import type { KubernetesActivities } from './kubernetes-activities.ts';

export const activityNames = [
  'readCluster',
  'removeTeardownFinalizer',
  'patchStatus',
  'applyObjects',
  'exposeListeners',
  'ensureCertificates',
  'reconcileUsers',
  'reconcileTopics',
  'recordEvent',
  'observeNodes',
  'restartNode',
  'awaitRollDecision',
  'removeNodes',
  'waitForPodsReady',
  'classesWithoutExpansion',
  'waitForClaimsResized',
  'waitForBrokersRegistered',
  'observeKafka',
  'readClusterDynamicConfig',
  'applyClusterDynamicConfig',
  'readMetadataVersion',
  'raiseMetadataVersion',
  'electPreferredLeaders',
  'readAssignment',
  'throttleMoves',
  'clearThrottle',
  'startMoves',
  'moveProgress',
  'awaitMoves',
  'awaitReplicasInSync',
  'unregisterBrokers',
  'ensureProbeTopic',
  'probeCluster',
  'holdWhileProbing',
  'syncBackupSchedule',
  'captureBackupMetadata',
  'copyBackupRecords',
  'commitBackup',
  'discardBackup',
  'pruneBackups',
  'planBackupRestore',
  'deleteTopicsForRestore',
  'createTopicsForRestore',
  'verifyBackupObjects',
  'restoreRecordsAndOffsets',
  'restoreAcls',
  'newestBackup',
  'verifyRestoredBackup',
  'createScratchCluster',
  'waitForClusterReady',
  'deleteScratchCluster',
  'requestRollPermit',
] as const satisfies readonly (keyof Activities)[];

type Unlisted = Exclude<keyof Activities, (typeof activityNames)[number]>;
// Compiles only when nothing is unlisted; otherwise the error shows the missing names.
export const everyActivityListed: [Unlisted] extends [never] ? true : Unlisted = true;

/** The activities of kubernetes-activities.ts: run without loading the Kafka client (lazy-activities.ts). */
const kubernetesOnly = [
  'readCluster',
  'removeTeardownFinalizer',
  'patchStatus',
  'applyObjects',
  'exposeListeners',
  'recordEvent',
  'observeNodes',
  'restartNode',
  'removeNodes',
  'waitForPodsReady',
  'classesWithoutExpansion',
  'waitForClaimsResized',
  'syncBackupSchedule',
  'requestRollPermit',
] as const satisfies readonly (keyof KubernetesActivities)[];
export const kubernetesActivityNames: ReadonlySet<string> = new Set(kubernetesOnly);

type UnlistedKubernetes = Exclude<keyof KubernetesActivities, (typeof kubernetesOnly)[number]>;
// Compiles only when every activity of kubernetes-activities.ts is listed.
export const everyKubernetesActivityListed: [UnlistedKubernetes] extends [never] ? true : UnlistedKubernetes =
  true;
