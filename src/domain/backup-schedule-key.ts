// What of spec.backup the cluster's Temporal Schedules hold (the backup
// schedule and the restore-drill schedule): the cluster workflow updates
// them when this changes.
import type { KafkaClusterSpec } from '../crd/kafka-cluster.ts';

type BackupSpec = KafkaClusterSpec['backup'];

/** A key of the scheduled part of spec.backup; 'none' without a backup section. */
export const backupScheduleKey = (backup: BackupSpec): string =>
  backup
    ? // Without a restore drill the key is what it was before drills existed: histories replay the same.
      `cron:${backup.schedule ?? ''}${backup.restoreDrill ? `|drill:${backup.restoreDrill.schedule ?? ''}` : ''}`
    : 'none';

/** What the schedule activity needs of spec.backup. */
export const backupScheduleInput = (backup: BackupSpec) =>
  backup
    ? {
        ...(backup.schedule ? { schedule: backup.schedule } : {}),
        ...(backup.restoreDrill
          ? {
              restoreDrill: backup.restoreDrill.schedule ? { schedule: backup.restoreDrill.schedule } : {},
            }
          : {}),
      }
    : undefined;
