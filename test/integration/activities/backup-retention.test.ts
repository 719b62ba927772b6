// Retention against the filesystem store, with manifests someone else wrote:
// a manifest whose id is empty, another backup's id or "../../.." is not
// trusted, so its directory is kept and nothing outside the backup root is
// touched; only this cluster's complete backups expire, never the newest.
import { MockActivityEnvironment } from '@temporalio/testing';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createActivities } from '../../../src/activities/index.ts';
import type { BackupManifest } from '../../../src/domain/backup.ts';
import { adminKubeConfig } from '../../helpers/cluster.ts';

const manifest = (id: string, startedAt: string): BackupManifest => ({
  format: 1,
  id,
  cluster: { namespace: 'team', name: 'orders', uid: 'u' },
  kafkaVersion: '4.1.1',
  workflowId: `backup/team/orders/${id}`,
  startedAt,
  finishedAt: startedAt,
  contents: { topics: 0, acls: null, groups: 0, brokerConfigs: 0, recordTopics: [], records: 0 },
  objects: [],
  partitions: [],
  sizeBytes: 0,
});

describe('backup retention', () => {
  let workdir = '';
  let root = '';
  const clusterDir = () => join(root, 'team', 'orders');
  const write = async (dir: string, content: unknown) => {
    await mkdir(join(clusterDir(), dir), { recursive: true });
    await writeFile(join(clusterDir(), dir, 'manifest.json'), JSON.stringify(content));
    await writeFile(join(clusterDir(), dir, 'metadata.json'), '{}');
  };

  before(async () => {
    workdir = await mkdtemp(join(tmpdir(), 'keelson-retention-'));
    root = join(workdir, 'backups');
    await writeFile(join(workdir, 'outside.txt'), 'not a backup');
    await write('orders-20261101-000000', manifest('orders-20261101-000000', '2026-11-01T00:00:00.000Z'));
    await write('orders-20261102-000000', manifest('orders-20261102-000000', '2026-11-02T00:00:00.000Z'));
    await write('orders-20261103-000000', manifest('orders-20261103-000000', '2026-11-03T00:00:00.000Z'));
    // Hostile or broken manifests, all older than the real ones so an unguarded retention would act on them.
    await write('orders-20261001-000000', manifest('../../..', '2026-10-01T00:00:00.000Z'));
    await write('orders-20261002-000000', manifest('orders-20261103-000000', '2026-10-02T00:00:00.000Z'));
    await write('orders-20261003-000000', manifest('', '2026-10-03T00:00:00.000Z'));
    await write('orders-20261004-000000', {
      id: 'orders-20261004-000000',
      startedAt: '2026-10-04T00:00:00.000Z',
    });
    // Not a backup id of this cluster: never listed, never deleted.
    await mkdir(join(clusterDir(), 'notes'), { recursive: true });
  });
  after(async () => {
    if (workdir) await rm(workdir, { recursive: true, force: true });
  });

  it('deletes only complete backups past keepLast, by their own directory, and keeps what it cannot trust', async () => {
    const { pruneBackups } = createActivities({
      kube: adminKubeConfig(),
      backupPolicy: { root: workdir, endpoints: [] },
    });
    const result: Awaited<ReturnType<typeof pruneBackups>> = await new MockActivityEnvironment().run(
      pruneBackups,
      {
        namespace: 'team',
        target: { filesystem: { path: root } },
        source: { namespace: 'team', name: 'orders' },
        id: 'orders-20261106-000000',
        keepLast: 1,
      },
    );
    assert.deepEqual(result.expired.sort(), ['orders-20261101-000000', 'orders-20261102-000000']);
    assert.deepEqual(result.abandoned, []);
    assert.deepEqual(result.untrusted.map((u) => u.id).sort(), [
      'orders-20261001-000000',
      'orders-20261002-000000',
      'orders-20261003-000000',
      'orders-20261004-000000',
    ]);
    assert.match(
      result.untrusted.find((u) => u.id === 'orders-20261001-000000')?.problem ?? '',
      /names the id/,
    );
    assert.ok(existsSync(join(workdir, 'outside.txt')), 'nothing outside the backup root is deleted');
    assert.ok(
      existsSync(join(clusterDir(), 'orders-20261103-000000', 'manifest.json')),
      'the newest backup stays',
    );
    for (const kept of [
      'orders-20261001-000000',
      'orders-20261002-000000',
      'orders-20261003-000000',
      'notes',
    ]) {
      assert.ok(existsSync(join(clusterDir(), kept)), `${kept} stays`);
    }
    assert.ok(!existsSync(join(clusterDir(), 'orders-20261101-000000', 'manifest.json')));
  });
});
