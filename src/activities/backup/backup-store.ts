// Where backups are kept: an S3-compatible object store (credentials from a
// Secret in the cluster's namespace) or a directory (for local use). Both
// write an object whole or not at all: S3 by its own semantics, the
// filesystem by writing a temporary file and renaming it. Every write
// returns the object's size and sha256, computed as the bytes go by.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { KubeConfig, V1Secret } from '@kubernetes/client-node';
import { KubeApi, resourcePath } from '../../kubernetes/api.ts';
import type { ApplicationFailure } from '@temporalio/activity';
import type { KafkaClusterSpec } from '../../crd/kafka-cluster.ts';
import type { StoredObject } from '../../domain/backup.ts';
import { credentialsLabel, targetRefusal, type BackupPolicy } from '../../domain/backup-policy.ts';
import { failure } from '../../domain/failures.ts';

export type BackupTarget = NonNullable<KafkaClusterSpec['backup']>['target'];

export interface BackupStore {
  /** Where the store is, for messages: s3://bucket/prefix or a path. */
  readonly location: string;
  /** The prefix under which every key of this target lives ("" or "a/b/"). */
  readonly prefix: string;
  put(key: string, body: Buffer | Readable): Promise<StoredObject>;
  /** The object's bytes as a stream; a missing object fails with type BackupNotFound. */
  get(key: string): Promise<Readable>;
  exists(key: string): Promise<boolean>;
  /** Keys under `prefix` (recursive). */
  list(prefix: string): Promise<string[]>;
  /** The names of the "directories" right under `prefix`. */
  listDirs(prefix: string): Promise<string[]>;
  delete(keys: readonly string[]): Promise<void>;
  close(): void;
}

/** Counts and hashes the bytes that pass through it. */
export function measuring(): { stream: Transform; result: () => { bytes: number; sha256: string } } {
  const hash = createHash('sha256');
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  return { stream, result: () => ({ bytes, sha256: hash.digest('hex') }) };
}

export const notFound = (what: string): ApplicationFailure => failure('BackupNotFound', what);

function filesystemStore(root: string): BackupStore {
  const path = (key: string) => join(root, key);
  return {
    location: root,
    prefix: '',
    async put(key, body) {
      const file = path(key);
      await mkdir(dirname(file), { recursive: true });
      const partial = `${file}.partial-${process.pid}`;
      const measure = measuring();
      try {
        await pipeline(
          Buffer.isBuffer(body) ? Readable.from([body]) : body,
          measure.stream,
          createWriteStream(partial),
        );
      } catch (err) {
        await rm(partial, { force: true });
        throw err;
      }
      await rename(partial, file);
      return { key, ...measure.result() };
    },
    async get(key) {
      if (!(await this.exists(key))) throw notFound(`${path(key)} does not exist`);
      return createReadStream(path(key));
    },
    async exists(key) {
      return stat(path(key)).then(
        (s) => s.isFile(),
        () => false,
      );
    },
    async list(prefix) {
      const entries = await readdir(path(prefix), { recursive: true, withFileTypes: true }).catch(() => []);
      return entries
        .filter((e) => e.isFile() && !e.name.includes('.partial-'))
        .map((e) => `${prefix}${join(e.parentPath, e.name).slice(path(prefix).length).replace(/^\//, '')}`);
    },
    async listDirs(prefix) {
      const entries = await readdir(path(prefix), { withFileTypes: true }).catch(() => []);
      return entries.filter((e) => e.isDirectory()).map((e) => e.name);
    },
    async delete(keys) {
      for (const key of keys) await rm(path(key), { force: true });
    },
    close() {},
  };
}

const credentialCodes = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'InvalidClientTokenId',
  'Forbidden',
]);

/** Turns S3 errors a retry cannot cure into non-retryable failures with a clear message. */
function s3Failure(err: unknown, location: string, what: string): unknown {
  const name = (err as { name?: string; Code?: string }).name ?? '';
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (credentialCodes.has(name) || status === 403) {
    return failure(
      'BackupStoreRejected',
      `${location}: the store refused the credentials (${name || status}) while ${what}`,
    );
  }
  if (name === 'NoSuchBucket') {
    return failure('BackupStoreRejected', `${location}: the bucket does not exist`);
  }
  const code = (err as { code?: string }).code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT' || code === 'EHOSTUNREACH') {
    return failure('BackupStoreUnreachable', `${location}: cannot reach the store (${code}) while ${what}`);
  }
  return err;
}

async function s3Store(
  target: NonNullable<BackupTarget['s3']>,
  credentials: { accessKeyId: string; secretAccessKey: string },
): Promise<BackupStore> {
  // Loaded on first use: the SDK is large, and most operator processes never back up.
  const s3 = await import('@aws-sdk/client-s3');
  const { Upload } = await import('@aws-sdk/lib-storage');
  const client = new s3.S3Client({
    region: target.region ?? 'us-east-1',
    credentials,
    ...(target.endpoint ? { endpoint: target.endpoint, forcePathStyle: true } : {}),
    maxAttempts: 3,
  });
  const Bucket = target.bucket;
  const prefix = target.prefix ? `${target.prefix.replace(/^\/+|\/+$/g, '')}/` : '';
  const location = `s3://${Bucket}/${prefix}`;
  const call = async <T>(what: string, action: () => Promise<T>): Promise<T> => {
    try {
      return await action();
    } catch (err) {
      throw s3Failure(err, location, what);
    }
  };
  const listAll = async (listPrefix: string, delimiter?: string) => {
    const keys: string[] = [];
    const dirs: string[] = [];
    let token: string | undefined;
    do {
      const page = await call(`listing ${listPrefix}`, () =>
        client.send(
          new s3.ListObjectsV2Command({
            Bucket,
            Prefix: listPrefix,
            ContinuationToken: token,
            ...(delimiter ? { Delimiter: delimiter } : {}),
          }),
        ),
      );
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
      for (const common of page.CommonPrefixes ?? [])
        if (common.Prefix) dirs.push(common.Prefix.slice(listPrefix.length).replace(/\/$/, ''));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return { keys, dirs };
  };
  return {
    location,
    prefix,
    async put(key, body) {
      const measure = measuring();
      const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
      // pipe() does not pass a source's error on; the upload must fail with it (and abort).
      source.on('error', (err) => measure.stream.destroy(err));
      await call(`writing ${key}`, async () => {
        // Multipart for large bodies; S3 shows the object only once the upload completes.
        await new Upload({ client, params: { Bucket, Key: key, Body: source.pipe(measure.stream) } }).done();
      });
      return { key, ...measure.result() };
    },
    async get(key) {
      try {
        const object = await client.send(new s3.GetObjectCommand({ Bucket, Key: key }));
        return object.Body as Readable;
      } catch (err) {
        if ((err as { name?: string }).name === 'NoSuchKey')
          throw notFound(`${location}: ${key} does not exist`);
        throw s3Failure(err, location, `reading ${key}`);
      }
    },
    async exists(key) {
      try {
        await client.send(new s3.HeadObjectCommand({ Bucket, Key: key }));
        return true;
      } catch (err) {
        const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (status === 404) return false;
        throw s3Failure(err, location, `checking ${key}`);
      }
    },
    list: async (listPrefix) => (await listAll(listPrefix)).keys,
    listDirs: async (listPrefix) => (await listAll(listPrefix, '/')).dirs,
    async delete(keys) {
      for (let i = 0; i < keys.length; i += 1000) {
        const batch = keys.slice(i, i + 1000);
        await call(`deleting ${batch.length} object(s)`, () =>
          client.send(
            new s3.DeleteObjectsCommand({
              Bucket,
              Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
            }),
          ),
        );
      }
    },
    close: () => client.destroy(),
  };
}

async function readCredentials(
  kube: KubeConfig,
  namespace: string,
  secretName: string,
): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  let data: Record<string, string> | undefined;
  try {
    const secret = await new KubeApi(kube).get<V1Secret>(
      resourcePath('v1', 'secrets', namespace, secretName),
    );
    // Opt-in: without the label, the Secret is not backup credentials, whatever a KafkaCluster names.
    if (secret.metadata?.labels?.[credentialsLabel] !== 'true') {
      throw failure(
        'BackupTargetRefused',
        `the Secret ${namespace}/${secretName} is not labelled ${credentialsLabel}=true; the operator uses only Secrets labelled so as backup credentials`,
      );
    }
    data = secret.data;
  } catch (err) {
    if ((err as { code?: number }).code === 404) {
      throw failure(
        'BackupStoreRejected',
        `the backup credentials Secret ${namespace}/${secretName} does not exist`,
      );
    }
    throw err;
  }
  const value = (key: string): string => {
    const encoded = data?.[key];
    if (!encoded) {
      throw failure(
        'BackupStoreRejected',
        `the backup credentials Secret ${namespace}/${secretName} has no key ${key}`,
      );
    }
    return Buffer.from(encoded, 'base64').toString('utf8').trim();
  };
  return { accessKeyId: value('accessKeyId'), secretAccessKey: value('secretAccessKey') };
}

/** The store a cluster's `spec.backup.target` names; S3 credentials come from its Secret. */
export async function openBackupStore(
  kube: KubeConfig,
  namespace: string,
  target: BackupTarget,
  policy: BackupPolicy,
): Promise<BackupStore> {
  const refusal = targetRefusal(target, policy);
  if (refusal) throw failure('BackupTargetRefused', refusal);
  if (target.filesystem) return filesystemStore(posix.normalize(target.filesystem.path));
  if (target.s3)
    return s3Store(target.s3, await readCredentials(kube, namespace, target.s3.credentialsSecret));
  throw failure('InvalidSpec', 'backup.target names no store');
}

/** Reads a whole (small) object. */
export async function readObject(store: BackupStore, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await store.get(key)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
