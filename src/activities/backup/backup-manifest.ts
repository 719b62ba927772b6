// Reading a backup's manifest from the store: anything there may have been
// written or changed by someone else, so it is parsed with zod, its id must be
// the directory it lies in, and every key it names must lie inside that
// directory (no "..", nothing absolute). A manifest that fails is reported and
// its backup is neither listed as complete, restored, nor deleted.
import { z } from 'zod';
import { backupKeys, type BackupManifest, type ClusterMetadataBackup } from '../../domain/backup.ts';

const keyWithin = (dir: string) =>
  z
    .string()
    .min(1)
    .max(1024)
    .refine((key) => key.startsWith(dir) && !key.split('/').some((part) => part === '..' || part === '.'), {
      message: `must be a key inside ${dir}`,
    });

function manifestSchema(dir: string) {
  const count = z.int().min(0);
  return z.object({
    format: z.int(),
    id: z.string(),
    cluster: z.object({ namespace: z.string(), name: z.string(), uid: z.string() }),
    kafkaVersion: z.string(),
    workflowId: z.string(),
    startedAt: z.string().max(64),
    finishedAt: z.string().max(64),
    contents: z.object({
      topics: count,
      acls: count.nullable(),
      groups: count,
      brokerConfigs: count,
      recordTopics: z.array(z.string()),
      records: count,
    }),
    objects: z.array(
      z.object({ key: keyWithin(dir), bytes: count, sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
    ),
    partitions: z.array(
      z.object({
        topic: z.string(),
        partition: count,
        key: keyWithin(dir),
        firstOffset: z.string(),
        endOffset: z.string(),
        records: count,
        recordBytes: count,
        contentSha256: z.string(),
      }),
    ),
    sizeBytes: count,
  }) satisfies z.ZodType<BackupManifest>;
}

/** The manifest of backup `id` in `clusterDir`, or why it cannot be trusted. */
export function parseManifest(
  text: string,
  clusterDir: string,
  id: string,
): { manifest: BackupManifest } | { problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { problem: 'its manifest is not JSON' };
  }
  const parsed = manifestSchema(backupKeys(clusterDir, id).dir).safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      problem: `its manifest is malformed at ${issue?.path.join('.') || 'the top'}: ${issue?.message ?? ''}`,
    };
  }
  if (parsed.data.id !== id) {
    return { problem: `its manifest names the id "${parsed.data.id.slice(0, 100)}", not its directory's` };
  }
  return { manifest: parsed.data };
}

const metadataSchema = z.object({
  topics: z.array(
    z.object({
      name: z.string().min(1).max(249),
      partitions: z.int().min(1),
      replicationFactor: z.int().min(1),
      configs: z.record(z.string(), z.string()),
    }),
  ),
  acls: z
    .array(
      z.object({
        resourceType: z.int(),
        resourceName: z.string(),
        patternType: z.int(),
        principal: z.string(),
        host: z.string(),
        operation: z.int(),
        permissionType: z.int(),
      }),
    )
    .nullable(),
  groups: z.array(
    z.object({
      groupId: z.string(),
      offsets: z.array(
        z.object({
          topic: z.string(),
          partition: z.int().min(0),
          offset: z.string().regex(/^\d{1,19}$/),
          metadata: z.string().nullable(),
        }),
      ),
    }),
  ),
  brokerConfigs: z.record(z.string(), z.string()),
}) satisfies z.ZodType<ClusterMetadataBackup>;

/** A backup's metadata.json, or why it cannot be trusted. */
export function parseMetadata(text: string): { metadata: ClusterMetadataBackup } | { problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { problem: 'its metadata.json is not JSON' };
  }
  const parsed = metadataSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      problem: `its metadata.json is malformed at ${issue?.path.join('.') || 'the top'}: ${issue?.message ?? ''}`,
    };
  }
  return { metadata: parsed.data };
}
