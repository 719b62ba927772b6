// The two backup stores keep one contract, checked here against a directory
// and against the environment's S3 store (SeaweedFS, real signatures), with
// credentials from a real Secret: what is written reads back with the size
// and sha256 reported, listing sees keys and "directories", a write whose
// source fails leaves no object, and each way the store can be wrong (keys,
// bucket, Secret, endpoint) fails with its own type and a clear message.
// The operator's policy: a Secret without the opt-in label, an endpoint it
// was not configured with and a directory outside its backup root are
// refused before any request is made.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CoreV1Api } from '@kubernetes/client-node';
import {
  openBackupStore,
  readObject,
  type BackupStore,
  type BackupTarget,
} from '../../../src/activities/backup/backup-store.ts';
import { credentialsLabel, type BackupPolicy } from '../../../src/domain/backup-policy.ts';
import { adminKubeConfig, createNamespace, env } from '../../helpers/cluster.ts';

const kubeconfig = adminKubeConfig();
const core = kubeconfig.makeApiClient(CoreV1Api);
const bucket = `store-${Date.now().toString(36)}`;
let namespace = '';
let directory = '';

/** What the operator was configured with: the environment's store, a port nothing listens on, and a root. */
const policy = (): BackupPolicy => ({
  root: directory,
  endpoints: [env.objectStore.endpoint, 'http://127.0.0.1:9'],
});

const s3Target = (changes: Partial<NonNullable<BackupTarget['s3']>> = {}): BackupTarget => ({
  s3: {
    bucket,
    prefix: 'contract',
    endpoint: env.objectStore.endpoint,
    credentialsSecret: 'store-keys',
    ...changes,
  },
});

before(async () => {
  const s3 = new S3Client({
    region: env.objectStore.region,
    endpoint: env.objectStore.endpoint,
    forcePathStyle: true,
    credentials: {
      accessKeyId: env.objectStore.accessKeyId,
      secretAccessKey: env.objectStore.secretAccessKey,
    },
  });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  s3.destroy();
  namespace = await createNamespace(core, 'backup-store');
  for (const [name, secretAccessKey, labels] of [
    ['store-keys', env.objectStore.secretAccessKey, { [credentialsLabel]: 'true' }],
    ['wrong-keys', 'not-the-key', { [credentialsLabel]: 'true' }],
    ['app-keys', env.objectStore.secretAccessKey, {}],
  ] as const) {
    await core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name, labels },
        stringData: { accessKeyId: env.objectStore.accessKeyId, secretAccessKey },
      },
    });
  }
  directory = await mkdtemp(join(tmpdir(), 'keelson-store-'));
});

after(async () => {
  if (namespace) await core.deleteNamespace({ name: namespace });
  if (directory) await rm(directory, { recursive: true, force: true });
});

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

for (const kind of ['filesystem', 's3'] as const) {
  describe(`the ${kind} store`, () => {
    let store: BackupStore;
    before(async () => {
      store = await openBackupStore(
        kubeconfig,
        namespace,
        kind === 's3' ? s3Target() : { filesystem: { path: join(directory, 'cluster-backups') } },
        policy(),
      );
    });
    after(() => store?.close());

    it('reads back what it wrote, with the size and checksum it reported', async () => {
      const small = Buffer.from('{"hello":"backup"}');
      const large = Buffer.alloc(12 << 20, 7); // above the multipart threshold of S3 uploads
      const dir = `${store.prefix}ns/orders/b1/`;
      const one = await store.put(`${dir}manifest.json`, small);
      assert.deepEqual(one, { key: `${dir}manifest.json`, bytes: small.length, sha256: sha256(small) });
      const two = await store.put(
        `${dir}records/t/0.ndjson.gz`,
        Readable.from([large.subarray(0, 5 << 20), large.subarray(5 << 20)]),
      );
      assert.equal(two.bytes, large.length);
      assert.equal(two.sha256, sha256(large));
      assert.deepEqual(await readObject(store, `${dir}manifest.json`), small);
      assert.equal(sha256(await readObject(store, `${dir}records/t/0.ndjson.gz`)), sha256(large));
      assert.equal(await store.exists(`${dir}manifest.json`), true);
      assert.equal(await store.exists(`${dir}missing.json`), false);
      assert.deepEqual((await store.list(dir)).sort(), [
        `${dir}manifest.json`,
        `${dir}records/t/0.ndjson.gz`,
      ]);
      assert.deepEqual(await store.listDirs(`${store.prefix}ns/orders/`), ['b1']);
      await store.delete(await store.list(dir));
      assert.deepEqual(await store.list(dir), []);
    });

    it('leaves no object when the source of a write fails', async () => {
      const key = `${store.prefix}ns/orders/b2/records/t/1.ndjson.gz`;
      const failing = new Readable({
        read() {
          this.push(Buffer.alloc(1 << 20, 1));
          this.destroy(new Error('the Kafka read failed'));
        },
      });
      await assert.rejects(store.put(key, failing), /the Kafka read failed/);
      assert.equal(await store.exists(key), false);
      assert.deepEqual(await store.list(`${store.prefix}ns/orders/b2/`), []);
      if (kind === 'filesystem') {
        const left = await readdir(join(directory, 'cluster-backups', 'ns/orders/b2/records/t')).catch(
          () => [],
        );
        assert.deepEqual(left, [], 'no partial file either');
      }
    });

    it('fails a read of a missing object as BackupNotFound, naming it', async () => {
      await assert.rejects(
        store.get(`${store.prefix}ns/orders/none/manifest.json`),
        (err: Error & { type?: string }) => {
          assert.equal(err.type, 'BackupNotFound');
          assert.match(err.message, /none\/manifest.json does not exist/);
          return true;
        },
      );
    });
  });
}

describe('a misconfigured S3 target', () => {
  const failure = async (
    target: BackupTarget,
  ): Promise<{ type?: string; message: string; nonRetryable?: boolean }> => {
    try {
      const store = await openBackupStore(kubeconfig, namespace, target, policy());
      try {
        await store.list(`${store.prefix}x/`);
      } finally {
        store.close();
      }
    } catch (err) {
      return err as { type?: string; message: string; nonRetryable?: boolean };
    }
    throw new Error('no failure');
  };

  it('says the keys were refused, without retrying', async () => {
    const err = await failure(s3Target({ credentialsSecret: 'wrong-keys' }));
    assert.equal(err.type, 'BackupStoreRejected');
    assert.equal(err.nonRetryable, true);
    assert.match(
      err.message,
      new RegExp(`s3://${bucket}/contract/: the store refused the credentials \\(SignatureDoesNotMatch\\)`),
    );
  });

  it('says the bucket does not exist', async () => {
    const err = await failure(s3Target({ bucket: 'no-such-bucket' }));
    assert.equal(err.type, 'BackupStoreRejected');
    assert.match(err.message, /s3:\/\/no-such-bucket\/contract\/: the bucket does not exist/);
  });

  it('names a missing Secret or key', async () => {
    const err = await failure(s3Target({ credentialsSecret: 'absent' }));
    assert.equal(err.type, 'BackupStoreRejected');
    assert.match(err.message, new RegExp(`Secret ${namespace}/absent does not exist`));
  });

  it('says an endpoint cannot be reached, as a failure a retry may cure', async () => {
    const err = await failure(s3Target({ endpoint: 'http://127.0.0.1:9' }));
    assert.equal(err.type, 'BackupStoreUnreachable');
    assert.notEqual(err.nonRetryable, true);
    assert.match(err.message, /cannot reach the store \(ECONNREFUSED\)/);
  });
});

describe("the operator's backup policy", () => {
  const refusal = async (target: BackupTarget, settings: BackupPolicy = policy()) => {
    const err = (await openBackupStore(kubeconfig, namespace, target, settings).then(
      (store) => {
        store.close();
        throw new Error('no refusal');
      },
      (e: unknown) => e,
    )) as { type?: string; message: string; nonRetryable?: boolean };
    assert.equal(err.type, 'BackupTargetRefused', err.message);
    assert.equal(err.nonRetryable, true);
    return err.message;
  };

  it('uses no Secret without the opt-in label, even one holding good keys', async () => {
    assert.match(
      await refusal(s3Target({ credentialsSecret: 'app-keys' })),
      new RegExp(`Secret ${namespace}/app-keys is not labelled keelson.dev/backup-credentials=true`),
    );
  });

  it('sends nothing to an endpoint it was not configured with', async () => {
    assert.match(
      await refusal(s3Target({ endpoint: 'http://127.0.0.1:18334' })),
      /endpoint "http:\/\/127.0.0.1:18334" is not one the operator may use/,
    );
    assert.match(
      await refusal(s3Target({ endpoint: `${env.objectStore.endpoint}@evil.example` })),
      /is not one the operator may use/,
    );
  });

  it('writes to no directory outside its backup root, and to none without one', async () => {
    assert.match(
      await refusal({ filesystem: { path: join(directory, '..', 'elsewhere') } }),
      /is not under the operator's backup root/,
    );
    assert.match(await refusal({ filesystem: { path: '/etc' } }), /is not under the operator's backup root/);
    assert.match(
      await refusal({ filesystem: { path: directory } }, { endpoints: [] }),
      /filesystem backup targets are off/,
    );
  });
});
