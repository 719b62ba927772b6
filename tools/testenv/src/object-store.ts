// The S3-compatible object store of the test environment: SeaweedFS (`weed
// server` with its S3 gateway) on loopback, data in .testenv/object-store.
// The S3 gateway checks signatures against one identity whose keys are made
// at every `up`, so tests can tell right credentials from wrong ones.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { weedBin } from './build.ts';
import { tcpOpen } from './net.ts';
import { stateDir } from './paths.ts';
import { loopback, ports } from './ports.ts';
import { startDaemon, waitFor } from './processes.ts';

export interface ObjectStore {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export async function startObjectStore(): Promise<ObjectStore> {
  const dir = join(stateDir, 'object-store');
  mkdirSync(join(dir, 'data'), { recursive: true });
  const store: ObjectStore = {
    endpoint: `http://${loopback}:${ports.s3}`,
    region: 'us-east-1',
    accessKeyId: `keelson${randomBytes(6).toString('hex')}`,
    secretAccessKey: randomBytes(24).toString('base64url'),
  };
  const config = join(dir, 's3.json');
  writeFileSync(
    config,
    JSON.stringify({
      identities: [
        {
          name: 'keelson-testenv',
          credentials: [{ accessKey: store.accessKeyId, secretKey: store.secretAccessKey }],
          actions: ['Admin', 'Read', 'List', 'Tagging', 'Write'],
        },
      ],
    }),
    { mode: 0o600 },
  );
  startDaemon({
    name: 'object-store',
    command: weedBin,
    args: [
      'server',
      `-ip=${loopback}`,
      `-ip.bind=${loopback}`,
      `-dir=${join(dir, 'data')}`,
      `-master.port=${ports.s3Master}`,
      `-volume.port=${ports.s3Volume}`,
      `-filer.port=${ports.s3Filer}`,
      // Small volumes (the default is 30 GB each), and room for many: each bucket
      // is a collection that grows several volumes of its own on first write.
      '-master.volumeSizeLimitMB=64',
      '-volume.max=500',
      '-s3',
      `-s3.port=${ports.s3}`,
      `-s3.config=${config}`,
    ],
  });
  await waitFor('the S3 gateway', () => tcpOpen(loopback, ports.s3), {
    timeoutMs: 60_000,
    daemon: 'object-store',
  });
  return store;
}
