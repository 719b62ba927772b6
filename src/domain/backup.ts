// What a backup holds and the decisions around it: backup ids, where each
// object lives in the store, which backups retention removes, which topics'
// records are copied, and what a restore checks before it changes anything
// (planRestore). How a restore maps committed offsets onto the records it
// wrote is offset-translation.ts. Pure; src/activities/backup does the I/O.
/** Bumped when the layout of the objects below changes; restore refuses formats it does not know. */
export const backupFormat = 1;

export interface TopicBackup {
  name: string;
  partitions: number;
  replicationFactor: number;
  /** Configs set on the topic itself (not broker defaults). */
  configs: Record<string, string>;
}

/** One ACL binding, with Kafka's protocol codes (resource type, pattern, operation, permission). */
export interface AclBinding {
  resourceType: number;
  resourceName: string;
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

export interface GroupOffsets {
  groupId: string;
  offsets: { topic: string; partition: number; offset: string; metadata: string | null }[];
}

/** Everything but records, as read at the start of a backup. */
export interface ClusterMetadataBackup {
  topics: TopicBackup[];
  /** null: the cluster has no authorizer, so it has no ACLs to back up. */
  acls: AclBinding[] | null;
  groups: GroupOffsets[];
  /** Cluster-wide dynamic broker configs. */
  brokerConfigs: Record<string, string>;
}

/** The records of one partition copied into one object. */
export interface PartitionRecords {
  topic: string;
  partition: number;
  key: string;
  /** Original offsets of the first record copied and the end of the copy (exclusive), as decimal strings. */
  firstOffset: string;
  endOffset: string;
  records: number;
  /** Bytes of keys, values and headers (what `records.maxBytes` bounds). */
  recordBytes: number;
  /** sha256 of the records in order (see recordDigest), to compare restored data with. */
  contentSha256: string;
}

export interface StoredObject {
  key: string;
  bytes: number;
  sha256: string;
}

/** The catalog entry of one backup; written last, so only complete backups have one. */
export interface BackupManifest {
  format: number;
  id: string;
  cluster: { namespace: string; name: string; uid: string };
  kafkaVersion: string;
  workflowId: string;
  startedAt: string;
  finishedAt: string;
  contents: {
    topics: number;
    acls: number | null;
    groups: number;
    brokerConfigs: number;
    recordTopics: string[];
    records: number;
  };
  /** Every object of the backup but the manifest, with its size and checksum. */
  objects: StoredObject[];
  partitions: PartitionRecords[];
  sizeBytes: number;
}

const idPattern = /^([a-z]([-a-z0-9]*[a-z0-9])?)-(\d{8})-(\d{6})$/;

/** A backup id names its cluster and its start (UTC, to the second): orders-20261126-230501. */
export function backupId(cluster: string, startedAt: Date): string {
  const iso = startedAt.toISOString();
  return `${cluster}-${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}`;
}

export function parseBackupId(id: string): { cluster: string; startedAt: Date } | undefined {
  const match = idPattern.exec(id);
  if (!match) return undefined;
  const [, cluster, , day, time] = match as unknown as [string, string, string, string, string];
  const startedAt = new Date(
    `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6)}T${time.slice(0, 2)}:${time.slice(2, 4)}:${time.slice(4)}Z`,
  );
  return Number.isNaN(startedAt.getTime()) ? undefined : { cluster, startedAt };
}

/** Where a cluster's backups live in the store: <prefix>/<namespace>/<cluster>/<id>/... */
export function clusterPrefix(prefix: string | undefined, namespace: string, cluster: string): string {
  const base = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  return `${base ? `${base}/` : ''}${namespace}/${cluster}/`;
}

export const backupKeys = (clusterDir: string, id: string) => ({
  clusterDir,
  dir: `${clusterDir}${id}/`,
  manifest: `${clusterDir}${id}/manifest.json`,
  metadata: `${clusterDir}${id}/metadata.json`,
  records: (topic: string, partition: number) => `${clusterDir}${id}/records/${topic}/${partition}.ndjson.gz`,
  /**
   * A backup's working lists while it runs (the partitions to copy, those
   * copied so far): kept in the store, not in Temporal, whose payloads are
   * bounded; deleted when the manifest is written.
   */
  work: `${clusterDir}${id}/work/`,
  ranges: `${clusterDir}${id}/work/ranges.json`,
  copied: (chunk: number) => `${clusterDir}${id}/work/copied-${String(chunk).padStart(6, '0')}.json`,
});

/** How many copied partitions one progress object of a running backup holds at most. */
export const copiedChunkSize = 100;

/**
 * Which complete backups retention deletes: all but the newest `keepLast`,
 * and those older than `maxAgeMs`, but never the newest one, so a cluster
 * whose backups keep failing still has its last good one.
 */
export function expiredBackups(
  backups: readonly { id: string; startedAt: string }[],
  policy: { keepLast: number; maxAgeMs?: number },
  now: Date,
): string[] {
  const newestFirst = [...backups].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  return newestFirst
    .filter(
      (backup, index) =>
        index > 0 &&
        (index >= policy.keepLast ||
          (policy.maxAgeMs !== undefined &&
            now.getTime() - new Date(backup.startedAt).getTime() > policy.maxAgeMs)),
    )
    .map((b) => b.id);
}

/**
 * Backup directories with no manifest, left by a backup that was cut short
 * (its workflow terminated or failed): deleted by the next backup. Only one
 * backup of a cluster runs at a time (they all start from its schedule),
 * so any such directory but the running one's is abandoned.
 */
export function abandonedBackups(
  dirs: readonly string[],
  complete: ReadonlySet<string>,
  running: string,
): string[] {
  return dirs.filter((id) => id !== running && !complete.has(id));
}

/**
 * Whether `name` matches a pattern where `*` stands for any run of characters.
 * No regular expression and no backtracking: the parts between stars are
 * found left to right, each at its first place after the previous one (the
 * first place is always the best one for a later part), so the work is at
 * most the name's length times the pattern's, whatever the pattern.
 */
export function globMatches(pattern: string, name: string): boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === name;
  const first = parts[0] ?? '';
  const last = parts[parts.length - 1] ?? '';
  if (first.length + last.length > name.length || !name.startsWith(first) || !name.endsWith(last)) {
    return false;
  }
  let from = first.length;
  const end = name.length - last.length;
  for (const part of parts.slice(1, -1)) {
    const at = name.indexOf(part, from);
    if (at < 0 || at + part.length > end) return false;
    from = at + part.length;
  }
  return true;
}

/**
 * The topics whose records are copied: names and `*` patterns from
 * `spec.backup.records.topics`. A plain name that matches no topic is an
 * error (a typo would otherwise back up nothing, silently); a pattern may
 * match none.
 */
export function selectRecordTopics(
  patterns: readonly string[],
  topics: readonly string[],
): { topics: string[]; missing: string[] } {
  const selected = new Set<string>();
  const missing: string[] = [];
  for (const pattern of patterns) {
    const matched = topics.filter((t) => globMatches(pattern, t));
    if (matched.length === 0 && !pattern.includes('*')) missing.push(pattern);
    for (const t of matched) selected.add(t);
  }
  return { topics: [...selected].sort(), missing };
}

export interface RestorePlan {
  /** Topics to create (after deleting those in `overwrite`). */
  create: TopicBackup[];
  /** Existing topics the restore deletes first (only when asked to overwrite). */
  overwrite: string[];
  /** Reasons the restore cannot go ahead; nothing is changed when there is any. */
  problems: string[];
}

export function planRestore(
  backup: ClusterMetadataBackup,
  target: {
    topics: readonly string[];
    brokers: number;
    aclsSupported: boolean;
    activeGroups: readonly string[];
  },
  options: { overwriteTopics: boolean },
): RestorePlan {
  const existing = new Set(target.topics);
  const conflicting = backup.topics.filter((t) => existing.has(t.name)).map((t) => t.name);
  const problems: string[] = [];
  if (conflicting.length > 0 && !options.overwriteTopics) {
    problems.push(
      `topics already exist in the target: ${conflicting.join(', ')} (delete them, or pass --overwrite-topics to replace them)`,
    );
  }
  const tooWide = backup.topics.filter((t) => t.replicationFactor > target.brokers);
  if (tooWide.length > 0) {
    problems.push(
      `the target has ${target.brokers} broker(s), fewer than the replication factor of ${tooWide
        .map((t) => `${t.name} (${t.replicationFactor})`)
        .join(', ')}`,
    );
  }
  if (backup.acls !== null && backup.acls.length > 0 && !target.aclsSupported) {
    problems.push(
      `the backup holds ${backup.acls.length} ACL(s) but the target has no authorizer (set authorizer.class.name in spec.config)`,
    );
  }
  const active = backup.groups.map((g) => g.groupId).filter((g) => target.activeGroups.includes(g));
  if (active.length > 0) {
    problems.push(
      `consumer groups have active members in the target: ${active.join(', ')} (stop them first)`,
    );
  }
  return {
    create: backup.topics,
    overwrite: options.overwriteTopics ? conflicting : [],
    problems,
  };
}

/** One record as a backup stores it: a line of JSON, binary fields in base64. */
export interface StoredRecord {
  offset: string;
  timestamp: string;
  key: string | null;
  value: string | null;
  headers: [string, string | null][];
}

export { quantityBytes } from './quantity.ts';
