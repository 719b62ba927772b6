// Backups and restore against the real pieces: a 3-broker Kafka 4.1.1 cluster
// with an authorizer, the environment's S3 store (SeaweedFS) with credentials
// from a Secret, a `keelson worker` process, and the `keelson` CLI a user runs.
// - a backup of topics, configs, ACLs, group offsets and records; the topics,
//   ACLs and groups deleted; a restore brings back configs, ACLs, offsets
//   (translated where the log had a gap) and every record, compared by checksum;
//   the same backup restored into a second KafkaCluster;
// - bad input: a restore onto existing topics, a missing backup id, an
//   unreachable store, wrong credentials: each a clear error, nothing changed;
// - the worker SIGKILLed while records are copied: the backup completes once;
// - a backup taken during a roll: both complete; the keelson.dev/backup annotation;
// - a schedule from the spec fires, and retention keeps the newest two.
import { createHash, randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, CustomObjectsApi, EventsV1Api } from '@kubernetes/client-node';
import { GetObjectCommand, ListObjectsV2Command, S3Client, CreateBucketCommand } from '@aws-sdk/client-s3';
import {
  AclOperations,
  AclPermissionTypes,
  Admin,
  ConfigResourceTypes,
  Producer,
  ProduceAcks,
  ResourcePatternTypes,
  ResourceTypes,
} from '@platformatic/kafka';
import { group, plural, version } from '../../../src/crd/kafka-cluster.ts';
import type { BackupManifest } from '../../../src/domain/backup.ts';
import { backupScheduleId, clusterWorkflowId, specSignal } from '../../../src/workflows/messages.ts';
import { minimalSpec } from '../../fixtures/kafka-cluster-specs.ts';
import { adminKubeConfig, env, eventually } from '../../helpers/cluster.ts';
import {
  clusterEvents,
  createKafkaCluster,
  readClusterStatus,
  readyAtGeneration,
} from '../../helpers/kafka-cluster.ts';
import { fullIsr, readTopic, type ConsumedRecord } from '../../helpers/kafka.ts';
import {
  clusterName,
  managedCluster,
  provisioned,
  type ManagedCluster,
} from '../../helpers/managed-cluster.ts';
import { keelsonCli } from '../../helpers/worker-process.ts';
import { AnnotationHandler } from '../../../src/watch/annotation-handler.ts';
import { anyAclFilter } from '../../../src/activities/kafka/cluster-metadata.ts';
import { credentialsLabel } from '../../../src/domain/backup-policy.ts';

/** Records each topic keeps after the gap made at the start of orders-events partition 0. */
const keptRecords = { 'orders-events': 3000 - 5, payments: 500 };
const copyName = 'orders-copy';
const bucket = `backups-${Date.now().toString(36)}`;
const s3 = new S3Client({
  region: env.objectStore.region,
  endpoint: env.objectStore.endpoint,
  forcePathStyle: true,
  credentials: { accessKeyId: env.objectStore.accessKeyId, secretAccessKey: env.objectStore.secretAccessKey },
});

const backupSpec = {
  target: {
    s3: { bucket, prefix: 'kafka', endpoint: env.objectStore.endpoint, credentialsSecret: 'backup-store' },
  },
  retention: { keepLast: 10 },
  records: { topics: ['orders-*', 'payments'], maxBytes: '64Mi' },
};
const spec = {
  ...minimalSpec,
  // ACLs need an authorizer; the operator and the test connect as ANONYMOUS, a super user.
  config: {
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'super.users': 'User:ANONYMOUS',
    'allow.everyone.if.no.acl.found': 'true',
  },
  backup: backupSpec,
};

const acls = [
  {
    resourceType: ResourceTypes.TOPIC,
    resourceName: 'orders-events',
    resourcePatternType: ResourcePatternTypes.LITERAL,
    principal: 'User:alice',
    host: '*',
    operation: AclOperations.READ,
    permissionType: AclPermissionTypes.ALLOW,
  },
  {
    resourceType: ResourceTypes.GROUP,
    resourceName: 'billing',
    resourcePatternType: ResourcePatternTypes.LITERAL,
    principal: 'User:alice',
    host: '*',
    operation: AclOperations.READ,
    permissionType: AclPermissionTypes.ALLOW,
  },
  {
    resourceType: ResourceTypes.TOPIC,
    resourceName: 'pay',
    resourcePatternType: ResourcePatternTypes.PREFIXED,
    principal: 'User:bob',
    host: '*',
    operation: AclOperations.WRITE,
    permissionType: AclPermissionTypes.DENY,
  },
] as const;

const topics = [
  {
    name: 'orders-events',
    partitions: 3,
    replicas: 3,
    records: 3000,
    configs: { 'retention.ms': '1209600000', 'max.message.bytes': '2000000' },
  },
  { name: 'payments', partitions: 2, replicas: 3, records: 500, configs: { 'cleanup.policy': 'compact' } },
  // Backed up as metadata only (records.topics does not name it).
  { name: 'audit', partitions: 1, replicas: 3, records: 100, configs: {} },
];

/** Records with keys, tombstones (no value), headers and explicit timestamps. */
async function produceRecords(
  bootstrap: string[],
  topic: string,
  count: number,
  valueBytes = 0,
): Promise<void> {
  const producer = new Producer({
    clientId: 'keelson-test-producer',
    bootstrapBrokers: bootstrap,
    acks: ProduceAcks.ALL,
  });
  try {
    for (let first = 0; first < count; first += 200) {
      await producer.send({
        acks: ProduceAcks.ALL,
        messages: Array.from({ length: Math.min(200, count - first) }, (_, i) => {
          const n = first + i;
          return {
            topic,
            key: Buffer.from(`${topic}-${n}`),
            ...(n % 50 === 7
              ? {} // a tombstone
              : { value: valueBytes > 0 ? randomBytes(valueBytes) : Buffer.from(`value ${n} of ${topic}`) }),
            // Recent: a restored record keeps its timestamp, and retention.ms applies to it.
            timestamp: BigInt(Date.now() - 3_600_000 + n),
            headers:
              n % 3 === 0
                ? new Map([[Buffer.from('trace'), Buffer.from(`t-${n}`)]])
                : new Map<Buffer, Buffer>(),
          };
        }),
      });
    }
  } finally {
    await producer.close();
  }
}

/** sha256 of each partition's records (what an application reads; not offsets). */
function checksums(partitions: Map<number, ConsumedRecord[]>): Record<number, string> {
  return Object.fromEntries(
    [...partitions].map(([p, records]) => [
      p,
      createHash('sha256')
        .update(JSON.stringify(records.map((r) => [r.timestamp, r.key, r.value, r.headers])))
        .digest('hex'),
    ]),
  );
}

async function objectBytes(key: string): Promise<Buffer> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(
    await (object.Body as { transformToByteArray: () => Promise<Uint8Array> }).transformToByteArray(),
  );
}

async function catalog(namespace: string): Promise<string[]> {
  const listed = await s3.send(
    new ListObjectsV2Command({ Bucket: bucket, Prefix: `kafka/${namespace}/${clusterName}/` }),
  );
  return (listed.Contents ?? []).map((o) => o.Key ?? '');
}
const manifestIds = (keys: string[]): string[] =>
  keys
    .filter((k) => k.endsWith('/manifest.json'))
    .map((k) => k.split('/').at(-2) ?? '')
    .sort();
const backupDirs = (keys: string[]): string[] => [...new Set(keys.map((k) => k.split('/')[3] ?? ''))].sort();

describe('backups and restore', { timeout: 1_200_000 }, () => {
  const kubeconfig = adminKubeConfig();
  const core = kubeconfig.makeApiClient(CoreV1Api);
  const custom = kubeconfig.makeApiClient(CustomObjectsApi);
  let cluster: ManagedCluster;
  let generation = 1;
  let admin: Admin;
  let ref = '';
  let firstBackup = '';
  const before_: Record<string, Record<number, string>> = {};

  const patchSpec = async (patch: { op: string; path: string; value?: unknown }[]) => {
    const patched = (await custom.patchNamespacedCustomObject({
      group,
      version,
      namespace: cluster.namespace,
      plural,
      name: clusterName,
      body: patch,
    })) as { metadata: { generation: number } };
    generation = patched.metadata.generation;
    await cluster.client.workflow
      .getHandle(clusterWorkflowId(cluster.namespace, clusterName))
      .signal(specSignal, { uid: cluster.uid, generation });
  };
  const lastBackup = async () =>
    (await readClusterStatus(custom, cluster.namespace, clusterName))?.lastBackup;
  const setSecret = (secretAccessKey: string) =>
    core.replaceNamespacedSecret({
      namespace: cluster.namespace,
      name: 'backup-store',
      body: {
        metadata: { name: 'backup-store', labels: { [credentialsLabel]: 'true' } },
        stringData: { accessKeyId: env.objectStore.accessKeyId, secretAccessKey },
      },
    });

  before(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    cluster = await managedCluster(kubeconfig, 'backup', spec);
    ref = `${cluster.namespace}/${clusterName}`;
    await core.createNamespacedSecret({
      namespace: cluster.namespace,
      body: {
        metadata: { name: 'backup-store', labels: { [credentialsLabel]: 'true' } },
        stringData: {
          accessKeyId: env.objectStore.accessKeyId,
          secretAccessKey: env.objectStore.secretAccessKey,
        },
      },
    });
    // A second cluster to restore into, provisioned beside the first.
    const copyUid = await createKafkaCluster(custom, cluster.namespace, copyName, spec);
    await cluster.client.workflow.signalWithStart('kafkaClusterWorkflow', {
      workflowId: clusterWorkflowId(cluster.namespace, copyName),
      taskQueue: cluster.taskQueue,
      args: [{ namespace: cluster.namespace, name: copyName, uid: copyUid }],
      signal: specSignal,
      signalArgs: [{ uid: copyUid, generation: 1 }],
    });
    await provisioned(kubeconfig, cluster);
    await readyAtGeneration(custom, cluster.namespace, copyName, 1, 300_000);
    admin = new Admin({ clientId: 'keelson-test-admin', bootstrapBrokers: await cluster.bootstrap() });
  });

  after(async () => {
    await admin?.close();
    for (const name of [clusterName, copyName]) {
      await cluster?.client.schedule
        .getHandle(backupScheduleId(cluster.namespace, name))
        .delete()
        .catch(() => undefined);
    }
    await cluster?.client.workflow
      .getHandle(clusterWorkflowId(cluster.namespace, copyName))
      .terminate('test finished')
      .catch(() => undefined);
    await cluster?.close();
    s3.destroy();
  });

  it('backs up topics, configs, ACLs, offsets and records, and restores them after they are deleted', async () => {
    const bootstrap = await cluster.bootstrap();
    for (const t of topics) {
      await admin.createTopics({
        topics: [t.name],
        partitions: t.partitions,
        replicas: t.replicas,
        configs: Object.entries(t.configs).map(([name, value]) => ({ name, value })),
      });
      await fullIsr(admin, t.name, t.partitions, t.replicas);
      await produceRecords(bootstrap, t.name, t.records);
    }
    // A gap at the start of partition 0 (as retention leaves): the restored log starts at 0.
    await admin.deleteRecords({
      topics: [{ name: 'orders-events', partitions: [{ partition: 0, offset: 5n }] }],
    });
    const ends = await admin.listOffsets({
      topics: [
        {
          name: 'orders-events',
          partitions: [0, 1, 2].map((partitionIndex) => ({ partitionIndex, timestamp: -1n })),
        },
      ],
    });
    const end = (p: number) => ends[0]?.partitions.find((x) => x.partitionIndex === p)?.offset ?? -1n;
    await admin.alterConsumerGroupOffsets({
      groupId: 'billing',
      topics: [
        {
          name: 'orders-events',
          partitionOffsets: [
            { partition: 0, offset: 10n },
            { partition: 1, offset: 0n },
            { partition: 2, offset: end(2) },
          ],
        },
        { name: 'payments', partitionOffsets: [{ partition: 1, offset: 7n }] },
      ],
    });
    await admin.alterConsumerGroupOffsets({
      groupId: 'auditors',
      topics: [{ name: 'audit', partitionOffsets: [{ partition: 0, offset: 50n }] }],
    });
    await admin.createAcls({ creations: [...acls] });
    for (const [topic, count] of Object.entries(keptRecords))
      before_[topic] = checksums(await readTopic(bootstrap, topic, count));

    const taken = await keelsonCli('backup', 'now', ref, '--wait');
    assert.equal(taken.status, 0, taken.stderr);
    const id = /backup (\S+) complete: (\d+) records/.exec(taken.stdout);
    assert.ok(id, taken.stdout);
    firstBackup = id[1] ?? '';
    assert.equal(Number(id[2]), 3000 - 5 + 500);
    const status = await lastBackup();
    assert.equal(status?.id, firstBackup);
    assert.equal(status?.outcome, 'Succeeded');
    assert.equal(status?.records, 3495);

    // The catalog entry: contents, and a checksum for every object that matches the object.
    const manifest = JSON.parse(
      (await objectBytes(`kafka/${cluster.namespace}/${clusterName}/${firstBackup}/manifest.json`)).toString(
        'utf8',
      ),
    ) as BackupManifest;
    assert.deepEqual(manifest.contents, {
      topics: 3,
      acls: 3,
      groups: 2,
      brokerConfigs: manifest.contents.brokerConfigs,
      recordTopics: ['orders-events', 'payments'],
      records: 3495,
    });
    assert.equal(manifest.kafkaVersion, '4.1.1');
    assert.equal(manifest.objects.length, 1 + 3 + 2);
    for (const object of manifest.objects) {
      const bytes = await objectBytes(object.key);
      assert.equal(createHash('sha256').update(bytes).digest('hex'), object.sha256, object.key);
      assert.equal(bytes.length, object.bytes);
    }
    const listed = await keelsonCli('backup', 'list', ref);
    assert.match(listed.stdout, new RegExp(`${firstBackup} .* 3 topics, 2 groups, 3 ACLs, 3495 records`));

    // Lose everything: topics, ACLs, group offsets.
    await admin.deleteTopics({ topics: topics.map((t) => t.name) });
    await admin.deleteAcls({ filters: [anyAclFilter] });
    await admin.deleteGroups({ groups: ['billing', 'auditors'] }).catch(() => undefined);
    await eventually('the topics to be gone', async () =>
      (await admin.listTopics()).some((t) => topics.some((x) => x.name === t)) ? undefined : true,
    );

    const restored = await keelsonCli('restore', firstBackup, '--to', ref);
    assert.equal(restored.status, 0, restored.stderr);
    assert.match(restored.stdout, /records: +3495/);
    assert.match(restored.stdout, /ACLs: +3/);
    assert.match(
      restored.stdout,
      /auditors offsets of audit \(1 partitions; its records are not in the backup\)/,
    );

    // Topics and their own configs.
    const metadata = await admin.metadata({ topics: topics.map((t) => t.name), forceUpdate: true });
    const configs = await admin.describeConfigs({
      resources: topics.map((t) => ({ resourceType: ConfigResourceTypes.TOPIC, resourceName: t.name })),
    });
    for (const t of topics) {
      const parts = metadata.topics.get(t.name)?.partitions ?? [];
      assert.equal(parts.length, t.partitions, t.name);
      assert.ok(
        parts.every((p) => p.replicas.length === t.replicas),
        t.name,
      );
      const own = configs.find((c) => c.resourceName === t.name)?.configs ?? [];
      for (const [name, value] of Object.entries(t.configs))
        assert.equal(own.find((c) => c.name === name)?.value, value, `${t.name} ${name}`);
    }
    // ACLs.
    const aclsNow = (await admin.describeAcls({ filter: anyAclFilter }))
      .flatMap((r) =>
        r.acls.map(
          (a) =>
            `${r.resourceType}/${r.resourceName}/${r.resourcePatternType}/${a.principal}/${a.operation}/${a.permissionType}`,
        ),
      )
      .sort();
    assert.deepEqual(
      aclsNow,
      acls
        .map(
          (a) =>
            `${a.resourceType}/${a.resourceName}/${a.resourcePatternType}/${a.principal}/${a.operation}/${a.permissionType}`,
        )
        .sort(),
    );
    // Offsets, onto the restored records: partition 0 lost its first 5 records, so 10 is now 5.
    const [billing] = await admin.listConsumerGroupOffsets({ groups: ['billing'] });
    const committed = Object.fromEntries(
      (billing?.topics ?? []).flatMap((t) =>
        t.partitions.map((p) => [`${t.name}/${p.partitionIndex}`, p.committedOffset]),
      ),
    );
    assert.equal(committed['orders-events/0'], 5n);
    assert.equal(committed['orders-events/1'], 0n);
    assert.equal(committed['orders-events/2'], end(2));
    assert.equal(committed['payments/1'], 7n);
    // Every record, compared by checksum per partition.
    const newBootstrap = await cluster.bootstrap();
    for (const [topic, count] of Object.entries(keptRecords))
      assert.deepEqual(checksums(await readTopic(newBootstrap, topic, count)), before_[topic], topic);
    const reasons = (
      await clusterEvents(kubeconfig.makeApiClient(EventsV1Api), cluster.namespace, clusterName)
    ).map((e) => e.reason);
    assert.ok(reasons.includes('BackupSucceeded') && reasons.includes('Restored'), reasons.join(', '));
  });

  it('restores a backup into another KafkaCluster', async () => {
    const copy = `${cluster.namespace}/${copyName}`;
    const restored = await keelsonCli('restore', firstBackup, '--to', copy, '--from', ref);
    assert.equal(restored.status, 0, restored.stderr);
    assert.match(restored.stdout, new RegExp(`restored ${firstBackup} into ${copy}`));
    const pods = await core.listNamespacedPod({
      namespace: cluster.namespace,
      labelSelector: `keelson.dev/cluster=${copyName}`,
    });
    const copyBootstrap = pods.items.map((p) => `${p.status?.podIP}:9092`);
    const copyAdmin = new Admin({ clientId: 'keelson-test-admin', bootstrapBrokers: copyBootstrap });
    try {
      assert.deepEqual(
        (await copyAdmin.listTopics()).filter((t) => !t.startsWith('__')).sort(),
        topics.map((t) => t.name).sort(),
      );
      const [billing] = await copyAdmin.listConsumerGroupOffsets({ groups: ['billing'] });
      const p0 = billing?.topics
        .find((t) => t.name === 'orders-events')
        ?.partitions.find((p) => p.partitionIndex === 0);
      assert.equal(p0?.committedOffset, 5n);
      assert.equal((await copyAdmin.describeAcls({ filter: anyAclFilter })).length, acls.length);
    } finally {
      await copyAdmin.close();
    }
    for (const [topic, count] of Object.entries(keptRecords))
      assert.deepEqual(checksums(await readTopic(copyBootstrap, topic, count)), before_[topic], topic);
  });

  it('refuses a restore onto existing topics and a missing backup id, changing nothing', async () => {
    const endsBefore = await admin.listOffsets({
      topics: [{ name: 'payments', partitions: [{ partitionIndex: 0, timestamp: -1n }] }],
    });
    const conflicting = await keelsonCli('restore', firstBackup, '--to', ref);
    assert.equal(conflicting.status, 1);
    assert.match(
      conflicting.stderr,
      /refused, nothing changed: topics already exist in the target: audit, orders-events, payments \(delete them, or pass --overwrite-topics/,
    );
    const endsAfter = await admin.listOffsets({
      topics: [{ name: 'payments', partitions: [{ partitionIndex: 0, timestamp: -1n }] }],
    });
    assert.deepEqual(endsAfter, endsBefore);

    const missing = await keelsonCli('restore', `${clusterName}-20200101-000000`, '--to', ref);
    assert.equal(missing.status, 1);
    assert.match(
      missing.stderr,
      new RegExp(
        `backup ${clusterName}-20200101-000000 of .* is not in s3://${bucket}/kafka/ \\(backups there: ${firstBackup}\\)`,
      ),
    );
    const malformed = await keelsonCli('restore', 'yesterday', '--to', ref);
    assert.equal(malformed.status, 1);
    assert.match(malformed.stderr, /expected a backup id such as/);
  });

  it('replaces existing topics when asked to, leaving exactly the records of the backup', async () => {
    await produceRecords(await cluster.bootstrap(), 'payments', 100); // written after the backup
    const replaced = await keelsonCli('restore', firstBackup, '--to', ref, '--overwrite-topics');
    assert.equal(replaced.status, 0, replaced.stderr);
    assert.match(replaced.stdout, /topics replaced: audit, orders-events, payments/);
    const bootstrap = await cluster.bootstrap();
    for (const [topic, count] of Object.entries(keptRecords))
      assert.deepEqual(checksums(await readTopic(bootstrap, topic, count)), before_[topic], topic);
    const ends = await admin.listOffsets({
      topics: [
        {
          name: 'payments',
          partitions: [0, 1].map((partitionIndex) => ({ partitionIndex, timestamp: -1n })),
        },
      ],
    });
    assert.equal(
      ends[0]?.partitions.reduce((n, p) => n + Number(p.offset), 0),
      500,
      'the 100 records written after the backup are gone with the replaced topic',
    );
  });

  it('fails a backup clearly when the store is unreachable or refuses the credentials, keeping the catalog', async () => {
    const catalogBefore = await catalog(cluster.namespace);
    await setSecret('not-the-secret');
    const refused = await keelsonCli('backup', 'now', ref, '--wait');
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /backup failed: s3:\/\/.*: the store refused the credentials/);
    assert.equal((await lastBackup())?.outcome, 'Failed');
    await setSecret(env.objectStore.secretAccessKey);

    await patchSpec([
      { op: 'replace', path: '/spec/backup/target/s3/endpoint', value: 'http://127.0.0.1:9' },
    ]);
    const unreachable = await keelsonCli('backup', 'now', ref, '--wait');
    assert.equal(unreachable.status, 1);
    assert.match(unreachable.stderr, /backup failed: s3:\/\/.*: cannot reach the store \(ECONNREFUSED\)/);
    const failed = await lastBackup();
    assert.equal(failed?.outcome, 'Failed');
    assert.match(failed?.message ?? '', /cannot reach the store/);

    // An endpoint the operator was not configured with: refused before any request, and shown as a condition.
    await patchSpec([
      { op: 'replace', path: '/spec/backup/target/s3/endpoint', value: 'http://127.0.0.1:18334' },
    ]);
    const elsewhere = await keelsonCli('backup', 'now', ref, '--wait');
    assert.equal(elsewhere.status, 1);
    assert.match(elsewhere.stderr, /endpoint "http:\/\/127.0.0.1:18334" is not one the operator may use/);
    const refusedTarget = (await readClusterStatus(custom, cluster.namespace, clusterName))?.conditions?.find(
      (c) => c.type === 'BackupTargetReady',
    );
    assert.equal(refusedTarget?.status, 'False');
    assert.equal(refusedTarget?.reason, 'TargetRefused');
    assert.match(refusedTarget?.message ?? '', /is not one the operator may use/);
    const reasons = (
      await clusterEvents(kubeconfig.makeApiClient(EventsV1Api), cluster.namespace, clusterName)
    ).map((e) => e.reason);
    assert.ok(reasons.includes('BackupTargetRefused'), reasons.join(', '));

    // A Secret without the opt-in label is not read as credentials.
    await patchSpec([
      { op: 'replace', path: '/spec/backup/target/s3/endpoint', value: env.objectStore.endpoint },
    ]);
    await core.patchNamespacedSecret({
      namespace: cluster.namespace,
      name: 'backup-store',
      body: [{ op: 'remove', path: '/metadata/labels' }],
    });
    const unlabelled = await keelsonCli('backup', 'now', ref, '--wait');
    assert.equal(unlabelled.status, 1);
    assert.match(unlabelled.stderr, /is not labelled keelson.dev\/backup-credentials=true/);
    await setSecret(env.objectStore.secretAccessKey);
    const accepted = await keelsonCli('backup', 'now', ref, '--wait');
    assert.equal(accepted.status, 0, accepted.stderr);
    assert.equal(
      (await readClusterStatus(custom, cluster.namespace, clusterName))?.conditions?.find(
        (c) => c.type === 'BackupTargetReady',
      )?.status,
      'True',
    );
    const acceptedId = /backup (\S+) complete/.exec(accepted.stdout)?.[1] ?? '';
    assert.deepEqual(
      (await catalog(cluster.namespace)).filter((k) => !k.includes(`/${acceptedId}/`)),
      catalogBefore,
    );
  });

  it('completes a backup once when its worker is killed while copying records', async () => {
    const bootstrap = await cluster.bootstrap();
    // Replicated 3 times, so the roll below may restart any broker.
    await admin.createTopics({ topics: ['orders-bulk'], partitions: 4, replicas: 3 });
    await fullIsr(admin, 'orders-bulk', 4, 3);
    await produceRecords(bootstrap, 'orders-bulk', 40_000, 2048);
    await patchSpec([
      { op: 'replace', path: '/spec/backup/records', value: { topics: ['orders-bulk'], maxBytes: '1Gi' } },
    ]);

    const requested = keelsonCli('backup', 'now', ref, '--wait');
    const copying = await eventually(
      'the record copy to be running',
      async () => {
        const running = await cluster.client.workflow.list({
          query: `WorkflowId STARTS_WITH "backup/${cluster.namespace}/" AND ExecutionStatus = "Running"`,
        });
        for await (const execution of running) {
          const described = await cluster.client.workflow.getHandle(execution.workflowId).describe();
          const pending = described.raw.pendingActivities ?? [];
          if (pending.some((a) => a.activityType?.name === 'copyBackupRecords' && a.heartbeatDetails))
            return execution.workflowId;
        }
        return undefined;
      },
      120_000,
      200,
    );
    await cluster.worker.kill();
    await cluster.worker.start();
    const taken = await requested;
    assert.equal(taken.status, 0, taken.stderr);
    const id = /backup (\S+) complete: (\d+) records/.exec(taken.stdout)?.[1] ?? '';

    // The copy ran twice (a second attempt after the kill) and the backup holds every record once.
    const history = await cluster.client.workflow.getHandle(copying).fetchHistory();
    const attempts = (history.events ?? [])
      .filter((e) => e.activityTaskStartedEventAttributes)
      .map((e) => e.activityTaskStartedEventAttributes?.attempt ?? 0);
    assert.ok(Math.max(...attempts) >= 2, `attempts ${attempts.join(', ')}`);
    const keys = await catalog(cluster.namespace);
    assert.equal(manifestIds(keys).filter((m) => m === id).length, 1);
    const manifest = JSON.parse(
      (await objectBytes(`kafka/${cluster.namespace}/${clusterName}/${id}/manifest.json`)).toString('utf8'),
    ) as BackupManifest;
    assert.equal(manifest.contents.records, 40_000);
    assert.deepEqual(manifest.partitions.map((p) => p.partition).sort(), [0, 1, 2, 3]);
    // No directory without a manifest (nothing partial in the catalog).
    assert.deepEqual(backupDirs(keys), manifestIds(keys));
  });

  it('takes a backup while the cluster rolls, and the roll completes', async () => {
    const statusBefore = await readClusterStatus(custom, cluster.namespace, clusterName);
    const forced = await keelsonCli('roll', ref, '--reason', 'roll under a backup');
    assert.equal(forced.status, 0, forced.stderr);
    await eventually(
      'the roll to start',
      async () =>
        (await readClusterStatus(custom, cluster.namespace, clusterName))?.currentOperation?.type ===
          'roll' || undefined,
    );
    const taken = await keelsonCli('backup', 'now', ref, '--wait');
    assert.equal(taken.status, 0, taken.stderr);
    assert.match(taken.stdout, /complete: 40000 records/);
    const rolled = await eventually(
      'the roll to finish',
      async () => {
        const status = await readClusterStatus(custom, cluster.namespace, clusterName);
        return status?.lastOperation?.type === 'roll' &&
          status.lastOperation.workflowId !== statusBefore?.lastOperation?.workflowId
          ? status.lastOperation
          : undefined;
      },
      600_000,
      1_000,
    );
    assert.equal(rolled.result, 'Succeeded', rolled.message);
  });

  it('takes a backup asked for with the keelson.dev/backup annotation', async () => {
    const previous = (await lastBackup())?.id;
    const object = (await custom.getNamespacedCustomObject({
      group,
      version,
      plural,
      namespace: cluster.namespace,
      name: clusterName,
    })) as { metadata: { uid: string; generation: number; resourceVersion: string } };
    const handler = new AnnotationHandler(cluster.client, kubeconfig);
    const [done] = await handler.handle({
      uid: object.metadata.uid,
      namespace: cluster.namespace,
      name: clusterName,
      generation: object.metadata.generation,
      annotations: { 'keelson.dev/backup': 'before-maintenance' },
      finalizers: [],
      resourceVersion: object.metadata.resourceVersion,
      deleting: false,
    });
    assert.equal(done?.result, 'accepted');
    const taken = await eventually(
      'the requested backup to finish',
      async () => {
        const last = await lastBackup();
        return last && last.id !== previous ? last : undefined;
      },
      120_000,
      1_000,
    );
    assert.equal(taken.outcome, 'Succeeded', taken.message);
    assert.ok(manifestIds(await catalog(cluster.namespace)).includes(taken.id));
  });

  it('runs backups on the schedule from the spec and keeps the newest two', async () => {
    await admin.deleteTopics({ topics: ['orders-bulk'] });
    const since = new Date().toISOString();
    await patchSpec([
      { op: 'replace', path: '/spec/backup/records', value: { topics: ['payments'], maxBytes: '1Mi' } },
      { op: 'replace', path: '/spec/backup/retention', value: { keepLast: 2 } },
      { op: 'add', path: '/spec/backup/schedule', value: '@every 15s' },
    ]);
    const scheduled = await eventually(
      'three scheduled backups to complete',
      async () => {
        const done = [];
        for await (const e of cluster.client.workflow.list({
          query: `WorkflowId STARTS_WITH "backup/${cluster.namespace}/" AND ExecutionStatus = "Completed" AND TemporalScheduledById = "${backupScheduleId(cluster.namespace, clusterName)}" AND StartTime > "${since}"`,
        }))
          done.push(e);
        return done.length >= 3 ? done : undefined;
      },
      180_000,
      2_000,
    );
    assert.ok(scheduled.length >= 3);
    // No more scheduled backups; once none runs, the catalog holds the newest two and nothing else.
    await patchSpec([{ op: 'remove', path: '/spec/backup/schedule' }]);
    await eventually('the schedule to lose its interval', async () => {
      const described = await cluster.client.schedule
        .getHandle(backupScheduleId(cluster.namespace, clusterName))
        .describe();
      return described.spec.intervals?.length ? undefined : true;
    });
    await eventually('no backup to run', async () => {
      for await (const _ of cluster.client.workflow.list({
        query: `WorkflowId STARTS_WITH "backup/${cluster.namespace}/" AND ExecutionStatus = "Running"`,
      }))
        return undefined;
      return true;
    });
    const keys = await catalog(cluster.namespace);
    const ids = manifestIds(keys);
    assert.equal(ids.length, 2, ids.join(', '));
    assert.ok(!ids.includes(firstBackup), 'the oldest backup was deleted');
    assert.deepEqual(backupDirs(keys), ids);

    await patchSpec([{ op: 'remove', path: '/spec/backup' }]);
    await eventually('the schedule to be deleted', async () =>
      cluster.client.schedule
        .getHandle(backupScheduleId(cluster.namespace, clusterName))
        .describe()
        .then(
          () => undefined,
          () => true,
        ),
    );
  });
});
