// A backup's round trip on the real pieces (a 3-broker Kafka 4.1.1 cluster,
// the environment's S3 store, a `keelson worker` process, the `keelson` CLI):
// - "ledger": two transactional producers whose transactions interleave on
//   the same partitions, each committing some and aborting others: every
//   committed record comes back, no aborted one;
// - "accounts": a compacted topic whose log has gaps left by the cleaner;
// - "clicks-…": 2,400 partitions with a long name, so the lists of a backup
//   (partitions, objects) are larger than a Temporal payload may be (2 MB),
//   and each step still passes a few bytes only;
// - consumer group offsets on the original offsets (inside aborted
//   transactions, on markers, in compaction gaps) point at the same records
//   after the restore;
// - `restore --overwrite-topics` from a backup with a missing object, an
//   object that does not match its checksum, or a manifest that does not list
//   metadata.json is refused, and the target's topics are untouched;
// - a restore drill restores the newest backup into a scratch KafkaCluster,
//   compares it, reports in status and as an Event, deletes the scratch
//   cluster and leaves the cluster itself alone; a drill of a broken backup
//   fails and says why.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, CustomObjectsApi, EventsV1Api } from '@kubernetes/client-node';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Admin, Producer, ProduceAcks } from '@platformatic/kafka';
import type { BackupManifest } from '../../../src/domain/backup.ts';
import { group, plural, version } from '../../../src/crd/kafka-cluster.ts';
import {
  backupScheduleId,
  restoreDrillScheduleId,
  restoreWorkflowId,
} from '../../../src/workflows/messages.ts';
import { changeSpec, clusterEvents, readClusterStatus } from '../../helpers/kafka-cluster.ts';
import { minimalSpec } from '../../fixtures/kafka-cluster-specs.ts';
import { adminKubeConfig, env, eventually } from '../../helpers/cluster.ts';
import { fullIsr, readTopic, type ConsumedRecord } from '../../helpers/kafka.ts';
import {
  clusterName,
  managedCluster,
  provisioned,
  type ManagedCluster,
} from '../../helpers/managed-cluster.ts';
import { keelsonCli } from '../../helpers/worker-process.ts';
import { largestPayload } from '../../helpers/workflow-history.ts';

const bucket = `round-trip-${Date.now().toString(36)}`;
const s3 = new S3Client({
  region: env.objectStore.region,
  endpoint: env.objectStore.endpoint,
  forcePathStyle: true,
  credentials: { accessKeyId: env.objectStore.accessKeyId, secretAccessKey: env.objectStore.secretAccessKey },
});
const wide = `clicks-${'wide'.repeat(48)}`;
const widePartitions = 2400;
const ledgerPartitions = 6;
const spec = {
  ...minimalSpec,
  backup: {
    target: {
      s3: { bucket, prefix: 'kafka', endpoint: env.objectStore.endpoint, credentialsSecret: 'backup-store' },
    },
    retention: { keepLast: 10 },
    records: { topics: ['ledger', 'accounts', 'clicks-*'], maxBytes: '64Mi' },
  },
};

/** A record as an application reads it (binary fields in base64), without its offset. */
type Content = Omit<ConsumedRecord, 'offset'>;
const content = (r: ConsumedRecord): Content => ({
  timestamp: r.timestamp,
  key: r.key,
  value: r.value,
  headers: r.headers,
});
const b64 = (text: string) => Buffer.from(text).toString('base64');
const timestampBase = Date.now() - 3_600_000;

async function objectBytes(key: string): Promise<Buffer> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(
    await (object.Body as { transformToByteArray: () => Promise<Uint8Array> }).transformToByteArray(),
  );
}
const putObject = (key: string, body: Buffer) =>
  s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));

describe('backup round trip', { timeout: 1_500_000 }, () => {
  const kubeconfig = adminKubeConfig();
  const core = kubeconfig.makeApiClient(CoreV1Api);
  let cluster: ManagedCluster;
  let admin: Admin;
  let ref = '';
  let backupId = '';
  let manifestKey = '';
  /** What a read_committed reader of the original sees, per topic and partition, with original offsets. */
  const expected = new Map<string, Map<number, ConsumedRecord[]>>();
  /** Committed group offsets on the original, by group, "topic/partition" → offset. */
  const groupOffsets: Record<string, Record<string, bigint>> = {};

  const topicIds = async () => {
    const metadata = await admin.metadata({ topics: ['ledger', 'accounts', wide], forceUpdate: true });
    return ['ledger', 'accounts', wide].map((t) => metadata.topics.get(t)?.id);
  };

  before(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    cluster = await managedCluster(kubeconfig, 'round-trip', spec);
    ref = `${cluster.namespace}/${clusterName}`;
    await core.createNamespacedSecret({
      namespace: cluster.namespace,
      body: {
        metadata: { name: 'backup-store', labels: { 'keelson.dev/backup-credentials': 'true' } },
        stringData: {
          accessKeyId: env.objectStore.accessKeyId,
          secretAccessKey: env.objectStore.secretAccessKey,
        },
      },
    });
    await provisioned(kubeconfig, cluster);
    admin = new Admin({ clientId: 'keelson-test-admin', bootstrapBrokers: await cluster.bootstrap() });
  });

  after(async () => {
    await admin?.close();
    for (const id of [backupScheduleId, restoreDrillScheduleId])
      await cluster?.client.schedule
        .getHandle(id(cluster.namespace, clusterName))
        .delete()
        .catch(() => undefined);
    await cluster?.close();
    s3.destroy();
  });

  it('backs up interleaved transactions, a compacted log and 2,400 partitions, passing only small payloads', async () => {
    const bootstrap = await cluster.bootstrap();
    await admin.createTopics({ topics: ['ledger'], partitions: ledgerPartitions, replicas: 3 });
    await admin.createTopics({
      topics: ['accounts'],
      partitions: 3,
      replicas: 3,
      configs: [
        { name: 'cleanup.policy', value: 'compact' },
        { name: 'segment.ms', value: '1000' },
        { name: 'min.cleanable.dirty.ratio', value: '0.01' },
      ],
    });
    await admin.createTopics({ topics: [wide], partitions: widePartitions, replicas: 1 });
    await fullIsr(admin, 'ledger', ledgerPartitions, 3);
    await fullIsr(admin, 'accounts', 3, 3);
    await fullIsr(admin, wide, widePartitions, 1);

    // Two transactional producers, their transactions open at the same time on the same partitions.
    const ledger = new Map<number, ConsumedRecord[]>();
    const producers = ['alpha', 'beta'].map(
      (name) =>
        new Producer({
          clientId: `keelson-test-${name}`,
          bootstrapBrokers: bootstrap,
          transactionalId: `ledger-${name}`,
          idempotent: true,
          acks: ProduceAcks.ALL,
        }),
    );
    const plain = new Producer({
      clientId: 'keelson-test-plain',
      bootstrapBrokers: bootstrap,
      acks: ProduceAcks.ALL,
    });
    const anchors: { partition: number; offset: bigint }[] = [];
    try {
      let n = 0;
      for (let round = 0; round < 8; round++) {
        const open: {
          txn: Awaited<ReturnType<Producer['beginTransaction']>>;
          commit: boolean;
          sent: { partition: number; record: ConsumedRecord }[];
        }[] = [];
        for (const [i, producer] of producers.entries()) {
          // alpha commits even rounds; beta aborts every third.
          const commit = i === 0 ? round % 2 === 0 : round % 3 !== 0;
          open.push({ txn: await producer.beginTransaction(), commit, sent: [] });
        }
        for (let k = 0; k < 12; k++) {
          for (const [i, entry] of open.entries()) {
            const partition = (k + i + round) % ledgerPartitions;
            const name = i === 0 ? 'alpha' : 'beta';
            const record = {
              key: `${name}-${round}-${k}`,
              value: `${name} round ${round} record ${k} ${entry.commit ? 'committed' : 'aborted'}`,
              timestamp: BigInt(timestampBase + n++),
            };
            const result = await entry.txn.send({
              messages: [
                {
                  topic: 'ledger',
                  partition,
                  key: Buffer.from(record.key),
                  value: Buffer.from(record.value),
                  timestamp: record.timestamp,
                  headers: new Map([[Buffer.from('producer'), Buffer.from(name)]]),
                },
              ],
            });
            const offset = result.offsets?.[0]?.offset ?? -1n;
            entry.sent.push({
              partition,
              record: {
                offset,
                timestamp: record.timestamp.toString(),
                key: b64(record.key),
                value: b64(record.value),
                headers: [[b64('producer'), b64(name)]],
              },
            });
            // An offset inside a transaction, committed or aborted, on each partition.
            if (k === 5 && !anchors.some((a) => a.partition === partition))
              anchors.push({ partition, offset });
          }
          if (k === 6) {
            // A plain record between transactional ones.
            const value = `plain ${round}`;
            const timestamp = BigInt(timestampBase + n++);
            const result = await plain.send({
              messages: [
                {
                  topic: 'ledger',
                  partition: 0,
                  key: Buffer.from(value),
                  value: Buffer.from(value),
                  timestamp,
                },
              ],
            });
            const offset = result.offsets?.[0]?.offset ?? -1n;
            ledger.set(0, [
              ...(ledger.get(0) ?? []),
              { offset, timestamp: timestamp.toString(), key: b64(value), value: b64(value), headers: [] },
            ]);
          }
        }
        for (const entry of open) {
          if (entry.commit) await entry.txn.commit();
          else await entry.txn.abort();
          if (entry.commit)
            for (const { partition, record } of entry.sent)
              ledger.set(partition, [...(ledger.get(partition) ?? []), record]);
        }
      }
    } finally {
      for (const p of [...producers, plain]) await p.close();
    }
    for (const list of ledger.values()) list.sort((a, b) => (a.offset < b.offset ? -1 : 1));
    expected.set('ledger', ledger);

    // A compacted log: 20 versions of 60 keys, then (a segment later) one more record per
    // partition, so the cleaner compacts the first segment and leaves gaps in the offsets.
    const versions = new Producer({
      clientId: 'keelson-test-accounts',
      bootstrapBrokers: bootstrap,
      acks: ProduceAcks.ALL,
    });
    try {
      for (let version = 0; version < 20; version++) {
        await versions.send({
          messages: Array.from({ length: 60 }, (_, key) => ({
            topic: 'accounts',
            partition: key % 3,
            key: Buffer.from(`account-${key}`),
            value: Buffer.from(`balance ${version * 100 + key}`),
            timestamp: BigInt(timestampBase + version),
          })),
        });
      }
      await versions.send({
        messages: [0, 1, 2].map((partition) => ({
          topic: 'accounts',
          partition,
          key: Buffer.from(`roll-${partition}`),
          value: Buffer.from('starts a new segment'),
          // A segment rolls when a record's timestamp is segment.ms past its first record's.
          timestamp: BigInt(timestampBase + 60_000),
        })),
      });
      // Records to 1 partition in 10 of the wide topic; the rest stay empty.
      await versions.send({
        messages: Array.from({ length: widePartitions / 10 }, (_, i) => ({
          topic: wide,
          partition: i * 10,
          key: Buffer.from(`click-${i}`),
          value: Buffer.from(`click ${i}`),
          timestamp: BigInt(timestampBase + i),
          headers: new Map([[Buffer.from('source'), Buffer.from('web')]]),
        })),
      });
    } finally {
      await versions.close();
    }
    const accounts = await eventually(
      'the cleaner to compact accounts down to the last version of each key',
      async () => {
        const read = await readTopic(bootstrap, 'accounts', 63);
        const values = [...read.values()].flat().map((r) => Buffer.from(r.value ?? '', 'base64').toString());
        return values.filter((v) => v.startsWith('balance ')).every((v) => Number(v.split(' ')[1]) >= 1900)
          ? read
          : undefined;
      },
      180_000,
      3_000,
    );
    expected.set('accounts', accounts);
    expected.set(wide, await readTopic(bootstrap, wide, widePartitions / 10));

    // Group offsets on the original offsets: inside transactions (some aborted), after the
    // last control marker, in the compacted gaps and at the start.
    const ends = await admin.listOffsets({
      topics: ['ledger', 'accounts'].map((name) => ({
        name,
        partitions: (name === 'ledger' ? [0, 1, 2, 3, 4, 5] : [0, 1, 2]).map((partitionIndex) => ({
          partitionIndex,
          timestamp: -1n,
        })),
      })),
    });
    const end = (topic: string, p: number) =>
      ends.find((t) => t.name === topic)?.partitions.find((x) => x.partitionIndex === p)?.offset ?? 0n;
    groupOffsets['ledger-readers'] = {
      ...Object.fromEntries(
        anchors.filter((a) => a.partition !== 4).map((a) => [`ledger/${a.partition}`, a.offset]),
      ),
      'ledger/4': end('ledger', 4),
    };
    groupOffsets['account-readers'] = { 'accounts/0': 7n, 'accounts/1': 300n, 'accounts/2': 0n };
    for (const [groupId, offsets] of Object.entries(groupOffsets)) {
      const byTopic = new Map<string, { partition: number; offset: bigint }[]>();
      for (const [name, offset] of Object.entries(offsets)) {
        const [topic, partition] = name.split('/') as [string, string];
        byTopic.set(topic, [...(byTopic.get(topic) ?? []), { partition: Number(partition), offset }]);
      }
      await admin.alterConsumerGroupOffsets({
        groupId,
        topics: [...byTopic].map(([name, partitionOffsets]) => ({ name, partitionOffsets })),
      });
    }

    const taken = await keelsonCli('backup', 'now', ref, '--wait');
    assert.equal(taken.status, 0, taken.stderr);
    const done = /backup (\S+) complete: (\d+) records/.exec(taken.stdout);
    assert.ok(done, taken.stdout);
    backupId = done[1] ?? '';
    const committedCount = (topic: string) =>
      [...(expected.get(topic)?.values() ?? [])].reduce((n, list) => n + list.length, 0);
    assert.equal(
      Number(done[2]),
      committedCount('ledger') + committedCount('accounts') + widePartitions / 10,
    );

    // The manifest holds the long lists; Temporal holds a few bytes per step.
    manifestKey = `kafka/${cluster.namespace}/${clusterName}/${backupId}/manifest.json`;
    const manifestBytes = await objectBytes(manifestKey);
    const manifest = JSON.parse(manifestBytes.toString('utf8')) as BackupManifest;
    assert.equal(manifest.partitions.length, ledgerPartitions + 3 + widePartitions);
    assert.ok(manifestBytes.length > 2 * 1024 * 1024, `manifest of ${manifestBytes.length} bytes`);
    for await (const execution of cluster.client.workflow.list({
      query: `WorkflowId STARTS_WITH "backup/${cluster.namespace}/"`,
    })) {
      const largest = await largestPayload(cluster.client, execution.workflowId);
      assert.ok(largest.bytes < 16 * 1024, `${largest.bytes} bytes in ${largest.where}`);
    }
  });

  it('refuses to overwrite from a backup with a missing or corrupt object, leaving the topics as they are', async () => {
    const ids = await topicIds();
    const manifestBytes = await objectBytes(manifestKey);
    const manifest = JSON.parse(manifestBytes.toString('utf8')) as BackupManifest;
    // Any object will do: the restore used to replace the topics before it read a single one.
    const victim = manifest.partitions.find((p) => p.topic === 'ledger' && p.partition === 3)?.key ?? '';
    const original = await objectBytes(victim);
    const cases: [string, () => Promise<unknown>, RegExp][] = [
      [
        'a missing object',
        () => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: victim })),
        /records\/ledger\/3\.ndjson\.gz is missing from the store/,
      ],
      [
        'an object that does not match its checksum',
        () => putObject(victim, Buffer.concat([original.subarray(0, original.length - 8), Buffer.alloc(8)])),
        /records\/ledger\/3\.ndjson\.gz (does not match its checksum|cannot be read)/,
      ],
      [
        'a manifest without metadata.json',
        async () => {
          await putObject(victim, original);
          const edited = {
            ...manifest,
            objects: manifest.objects.filter((o) => !o.key.endsWith('/metadata.json')),
          };
          await putObject(manifestKey, Buffer.from(JSON.stringify(edited)));
        },
        /does not list metadata\.json/,
      ],
      [
        'a manifest without its partitions',
        async () => {
          const { partitions: _, ...edited } = manifest;
          await putObject(manifestKey, Buffer.from(JSON.stringify(edited)));
        },
        /its manifest is malformed at partitions/,
      ],
    ];
    for (const [what, damage, message] of cases) {
      await damage();
      const refused = await keelsonCli('restore', backupId, '--to', ref, '--overwrite-topics');
      assert.equal(refused.status, 1, `${what}: ${refused.stdout}`);
      assert.match(refused.stderr, message, what);
      assert.deepEqual(await topicIds(), ids, `${what}: no topic was deleted`);
    }
    await putObject(manifestKey, manifestBytes);
    const ledger = await readTopic(await cluster.bootstrap(), 'ledger', 1);
    assert.ok(ledger.size > 0, 'the ledger still has its records');
  });

  it('restores every committed record, the compacted log and every partition, with offsets on the same records', async () => {
    const restored = await keelsonCli('restore', backupId, '--to', ref, '--overwrite-topics');
    assert.equal(restored.status, 0, restored.stderr);
    assert.match(restored.stdout, /topics replaced: .*ledger/);
    const largest = await largestPayload(
      cluster.client,
      restoreWorkflowId(cluster.namespace, clusterName, backupId),
    );
    assert.ok(largest.bytes < 16 * 1024, `${largest.bytes} bytes in ${largest.where}`);
    const bootstrap = await cluster.bootstrap();
    const now = new Map<string, Map<number, ConsumedRecord[]>>();
    for (const [topic, partitions] of expected) {
      const count = [...partitions.values()].reduce((n, list) => n + list.length, 0);
      const read = await readTopic(bootstrap, topic, count);
      now.set(topic, read);
      const strip = (m: Map<number, ConsumedRecord[]>) =>
        [...m].sort(([a], [b]) => a - b).map(([p, list]) => [p, list.map(content)]);
      assert.deepEqual(strip(read), strip(partitions), topic);
    }
    // No aborted record came back.
    const ledgerValues = [...(now.get('ledger')?.values() ?? [])]
      .flat()
      .map((r) => Buffer.from(r.value ?? '', 'base64').toString());
    assert.ok(ledgerValues.every((v) => !v.endsWith('aborted')));
    assert.ok(
      ledgerValues.some((v) => v.startsWith('alpha')) && ledgerValues.some((v) => v.startsWith('beta')),
    );

    // A committed offset names the next record to read: the same record before and after.
    const nextRecord = (list: ConsumedRecord[], offset: bigint) => list.find((r) => r.offset >= offset);
    const listed = await admin.listConsumerGroupOffsets({ groups: Object.keys(groupOffsets) });
    for (const [groupId, offsets] of Object.entries(groupOffsets)) {
      const group = listed.find((g) => g.groupId === groupId);
      for (const [name, original] of Object.entries(offsets)) {
        const [topic, partition] = name.split('/') as [string, string];
        const restoredOffset = group?.topics
          .find((t) => t.name === topic)
          ?.partitions.find((p) => p.partitionIndex === Number(partition))?.committedOffset;
        assert.notEqual(restoredOffset, undefined, `${groupId} ${name}`);
        const before_ = nextRecord(expected.get(topic)?.get(Number(partition)) ?? [], original);
        const after_ = nextRecord(now.get(topic)?.get(Number(partition)) ?? [], restoredOffset ?? -1n);
        assert.deepEqual(after_ && content(after_), before_ && content(before_), `${groupId} ${name}`);
      }
    }
  });

  it('checks with a restore drill that the newest backup restores, without touching the cluster', async () => {
    const custom = kubeconfig.makeApiClient(CustomObjectsApi);
    const scratchName = `${clusterName}-restore-drill`;
    await changeSpec(
      custom,
      cluster.client,
      { namespace: cluster.namespace, name: clusterName, uid: cluster.uid },
      [{ op: 'add', path: '/spec/backup/restoreDrill', value: { brokers: 3 } }],
    );
    await eventually('the restore-drill schedule', async () =>
      cluster.client.schedule
        .getHandle(restoreDrillScheduleId(cluster.namespace, clusterName))
        .describe()
        .then(
          () => true,
          () => undefined,
        ),
    );
    const ids = await topicIds();
    const ends = async () =>
      (
        await admin.listOffsets({
          topics: [
            {
              name: 'ledger',
              partitions: [0, 1, 2, 3, 4, 5].map((partitionIndex) => ({ partitionIndex, timestamp: -1n })),
            },
          ],
        })
      )[0]?.partitions.map((p) => p.offset);
    const endsBefore = await ends();
    const scratchGone = () =>
      eventually(
        'the scratch cluster and its pods to be gone',
        async () => {
          const left = await core.listNamespacedPod({
            namespace: cluster.namespace,
            labelSelector: `keelson.dev/cluster=${scratchName}`,
          });
          const object = await custom
            .getNamespacedCustomObject({
              group,
              version,
              plural,
              namespace: cluster.namespace,
              name: scratchName,
            })
            .then(
              () => true,
              () => false,
            );
          return left.items.length === 0 && !object ? true : undefined;
        },
        300_000,
        2_000,
      );

    const drilled = await keelsonCli('backup', 'drill', ref, '--wait');
    assert.equal(drilled.status, 0, drilled.stderr);
    const records = [...expected.values()]
      .flatMap((partitions) => [...partitions.values()])
      .reduce((n, list) => n + list.length, 0);
    assert.match(
      drilled.stdout,
      new RegExp(
        `backup ${backupId} restores: ${ledgerPartitions + 3 + widePartitions} partitions, ${records} records and \\d+ group offsets match`,
      ),
    );
    const status = (await readClusterStatus(custom, cluster.namespace, clusterName))?.lastRestoreDrill;
    assert.equal(status?.outcome, 'Succeeded');
    assert.equal(status?.backupId, backupId);
    assert.equal(status?.records, records);
    await scratchGone();
    assert.deepEqual(await topicIds(), ids, 'the cluster kept its topics');
    assert.deepEqual(await ends(), endsBefore, 'and its records');

    // A backup that no longer restores: the drill says so, and still cleans up.
    const manifest = JSON.parse((await objectBytes(manifestKey)).toString('utf8')) as BackupManifest;
    const victim = manifest.partitions.find((p) => p.topic === 'accounts')?.key ?? '';
    const original = await objectBytes(victim);
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: victim }));
    try {
      const failed = await keelsonCli('backup', 'drill', ref, '--wait');
      assert.equal(failed.status, 1);
      assert.match(
        failed.stderr,
        /restore drill failed: .*records\/accounts\/\d\.ndjson\.gz is missing from the store/,
      );
      const report = (await readClusterStatus(custom, cluster.namespace, clusterName))?.lastRestoreDrill;
      assert.equal(report?.outcome, 'Failed');
      assert.match(report?.message ?? '', /is missing from the store/);
      await scratchGone();
    } finally {
      await putObject(victim, original);
    }
    const reasons = (
      await clusterEvents(kubeconfig.makeApiClient(EventsV1Api), cluster.namespace, clusterName)
    ).map((e) => e.reason);
    assert.ok(
      reasons.includes('RestoreDrillSucceeded') && reasons.includes('RestoreDrillFailed'),
      reasons.join(', '),
    );
  });
});
