// Reading a backup as untrusted input: its manifest and metadata parsed and
// checked against each other, and its records objects read line by line with
// their size, sha256, count and digest, for the restore steps and drills.
import { createHash } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import type { ApplicationFailure } from '@temporalio/activity';
import {
  backupFormat,
  type backupKeys,
  type BackupManifest,
  type ClusterMetadataBackup,
  type StoredRecord,
} from '../../domain/backup.ts';
import { parseManifest, parseMetadata } from './backup-manifest.ts';
import { measuring, readObject, type BackupStore } from './backup-store.ts';
import { recordDigest } from './record-digest.ts';
import { failure, failureType } from '../../domain/failures.ts';

export const corrupt = (id: string, problem: string): ApplicationFailure =>
  failure('BackupCorrupt', `backup ${id} cannot be restored: ${problem}`);

export const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

interface VerifiedBackup {
  manifest: BackupManifest;
  metadata: ClusterMetadataBackup;
  /** The manifest's own checksum: later steps of a restore check they read the manifest the plan read. */
  manifestSha256: string;
}

/**
 * A backup's manifest and metadata, read from the store as untrusted input:
 * both parsed with zod, the format known, metadata.json listed in the manifest
 * and matching its checksum, every partition's records object listed.
 */
export async function readVerifiedBackup(
  store: BackupStore,
  keys: ReturnType<typeof backupKeys>,
  id: string,
  expectedManifestSha256?: string,
): Promise<VerifiedBackup> {
  const manifestBytes = await readObject(store, keys.manifest);
  const manifestSha256 = sha256(manifestBytes);
  if (expectedManifestSha256 !== undefined && manifestSha256 !== expectedManifestSha256)
    throw corrupt(id, 'its manifest changed while it was being restored');
  const read = parseManifest(manifestBytes.toString('utf8'), keys.clusterDir, id);
  if ('problem' in read) throw corrupt(id, read.problem);
  const { manifest } = read;
  if (manifest.format !== backupFormat) {
    throw failure(
      'BackupCorrupt',
      `backup ${id} has format ${manifest.format}; this Keelson reads format ${backupFormat}`,
    );
  }
  const listed = new Map(manifest.objects.map((o) => [o.key, o]));
  const metadataObject = listed.get(keys.metadata);
  if (!metadataObject) throw corrupt(id, 'its manifest does not list metadata.json with a checksum');
  const unlisted = manifest.partitions.filter((p) => !listed.has(p.key));
  if (unlisted.length > 0)
    throw corrupt(
      id,
      `its manifest does not list the object of ${unlisted[0]?.topic}-${unlisted[0]?.partition}`,
    );
  const metadataBytes = await readObject(store, keys.metadata).catch((err: unknown) => {
    throw failureType(err) === 'BackupNotFound' ? corrupt(id, 'metadata.json is missing') : err;
  });
  if (sha256(metadataBytes) !== metadataObject.sha256 || metadataBytes.length !== metadataObject.bytes)
    throw corrupt(id, `${keys.metadata} does not match its checksum in the manifest`);
  const parsed = parseMetadata(metadataBytes.toString('utf8'));
  if ('problem' in parsed) throw corrupt(id, parsed.problem);
  return { manifest, metadata: parsed.metadata, manifestSha256 };
}

/** Reads a records object line by line; returns its sha256, record count and record digest. */
export async function readRecordObject(
  store: BackupStore,
  key: string,
  onRecord: (record: StoredRecord, index: number) => void | Promise<void>,
): Promise<{ sha256: string; bytes: number; count: number; digest: string }> {
  const { stream: hashing, result: measured } = measuring();
  const digest = recordDigest();
  const source = await store.get(key);
  const gunzip = createGunzip();
  // pipe() does not pass errors on; a failed read must end the loop below.
  source.on('error', (err) => hashing.destroy(err));
  hashing.on('error', (err) => gunzip.destroy(err));
  source.pipe(hashing).pipe(gunzip);
  let count = 0;
  let rest = '';
  const take = async (line: string) => {
    if (!line) return;
    const record = JSON.parse(line) as StoredRecord;
    digest.add(record);
    await onRecord(record, count++);
  };
  for await (const chunk of gunzip) {
    const lines = (rest + (chunk as Buffer).toString('utf8')).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) await take(line);
  }
  await take(rest);
  return { ...measured(), count, digest: digest.hex() };
}
