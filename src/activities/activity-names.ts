// The name of every activity, known without loading the activities' modules
// (see lazy-activities.ts). The type check below fails, naming it, when an
// activity is missing from the list.
import type { Activities } from './index.ts';

export const activityNames = [
  'readCluster',
  'removeTeardownFinalizer',
  'patchStatus',
  'applyObjects',
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
