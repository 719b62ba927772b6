// The cluster workflow on the real Temporal server, with real activities
// against the real API server and the node agent: a new KafkaCluster is
// provisioned into a running KRaft cluster and reported Ready; stale and
// foreign signals change nothing; a static config change rolls every node
// exactly once, one at a time, without losing an acknowledged message.
import { CoreV1Api, CustomObjectsApi, EventsV1Api } from '@kubernetes/client-node';
import { Admin, ConfigResourceTypes } from '@platformatic/kafka';
import type { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createActivities } from '../../../src/activities/index.ts';
import { group, plural, version } from '../../../src/crd/kafka-cluster.ts';
import {
  backupScheduleId,
  clusterWorkflowId,
  driftSignal,
  rollUpdate,
  specSignal,
  stateQuery,
} from '../../../src/workflows/messages.ts';
import type { kafkaClusterWorkflow } from '../../../src/workflows/kafka-cluster.ts';
import { minimalSpec } from '../../fixtures/kafka-cluster-specs.ts';
import { startInProcessWorker, type InProcessWorker } from '../../helpers/in-process-worker.ts';
import { adminKubeConfig, createNamespace, env, eventually } from '../../helpers/cluster.ts';
import { decodeSummary } from '../../helpers/workflow-history.ts';
import { consumeKeys, isReady, replicatedTopicWithMessages } from '../../helpers/kafka.ts';
import { execFile, spawn } from 'node:child_process';
import type { ClusterStatusReport } from '../../../src/cli/status-command.ts';
import { installCrd } from '../../helpers/crd.ts';
import {
  brokerStarts,
  changeSpec as changeClusterSpec,
  clusterEvents,
  createKafkaCluster,
  readClusterStatus,
  readyAtGeneration,
} from '../../helpers/kafka-cluster.ts';

/** An Update refused by its validator: the reason is the failure's cause. */
const refusedWith = (reason: RegExp) => (err: { cause?: { message?: string } }) => {
  assert.match(err.cause?.message ?? '', reason);
  return true;
};

const mainScript = fileURLToPath(new URL('../../../src/main.ts', import.meta.url));
const workflowsPath = fileURLToPath(new URL('../../../src/workflows/index.ts', import.meta.url));

describe('cluster workflow', () => {
  const kubeconfig = adminKubeConfig();
  const core = kubeconfig.makeApiClient(CoreV1Api);
  const custom = kubeconfig.makeApiClient(CustomObjectsApi);
  const events = kubeconfig.makeApiClient(EventsV1Api);
  const taskQueue = `provision-${Date.now()}`;
  let namespace = '';
  let uid = '';
  let worker: InProcessWorker | undefined;
  let client: Client;

  const readyStatus = (generation: number) =>
    readyAtGeneration(custom, namespace, 'orders', generation, 600_000);

  const readStatus = () => readClusterStatus(custom, namespace, 'orders');

  const changeSpec = (operations: object[]): Promise<number> =>
    changeClusterSpec(custom, client, { namespace, name: 'orders', uid }, operations);

  before(async () => {
    await installCrd(kubeconfig);
    namespace = await createNamespace(core, 'provision');
    uid = await createKafkaCluster(custom, namespace, 'orders', { ...minimalSpec, kafkaVersion: '4.1.1' });

    worker = await startInProcessWorker({
      taskQueue,
      workflowsPath,
      activities: createActivities({ kube: kubeconfig }),
    });
    client = worker.client;
  });

  after(async () => {
    await client?.workflow
      .getHandle(clusterWorkflowId(namespace, 'orders'))
      .terminate('test finished')
      .catch(() => undefined);
    await worker?.close();
    if (namespace) await core.deleteNamespace({ name: namespace });
  });

  it('provisions a new cluster and reports it Ready', async () => {
    const handle = await client.workflow.signalWithStart<
      typeof kafkaClusterWorkflow,
      [{ uid: string; generation: number }]
    >('kafkaClusterWorkflow', {
      workflowId: clusterWorkflowId(namespace, 'orders'),
      taskQueue,
      args: [{ namespace, name: 'orders', uid }],
      signal: specSignal,
      signalArgs: [{ uid, generation: 1 }],
    });
    const status = await readyStatus(1);
    assert.equal(status.observedGeneration, 1);
    assert.equal(status.kafkaVersion, '4.1.1');
    assert.equal(status.currentOperation, undefined);
    assert.equal(status.lastOperation?.type, 'provision');
    assert.equal(status.lastOperation?.workflowId, `provision/${namespace}/orders/g1`);
    assert.deepEqual(status.nodePools, [
      { name: 'combined', nodeIdBase: 0, nodeZones: ['zone-a', 'zone-b', 'zone-c'] },
    ]);

    const pods = (await core.listNamespacedPod({ namespace, labelSelector: 'keelson.dev/cluster=orders' }))
      .items;
    assert.equal(pods.length, 3);
    const admin = new Admin({
      clientId: 'test',
      bootstrapBrokers: pods.map((p) => `${p.status?.podIP}:9092`),
    });
    try {
      const metadata = await admin.metadata({ forceUpdate: true });
      assert.deepEqual([...metadata.brokers.keys()].sort(), [0, 1, 2]);
    } finally {
      await admin.close();
    }

    // A repeated generation and a signal for another incarnation are ignored.
    await handle.signal(specSignal, { uid, generation: 1 });
    await handle.signal(specSignal, { uid: 'someone-else', generation: 9 });
    const state = await handle.query(stateQuery);
    assert.equal(state.lastSeenGeneration, 1);
    assert.equal(state.lastPlannedGeneration, 1);
    const children = [];
    for await (const execution of client.workflow.list({
      query: `WorkflowId STARTS_WITH "provision/${namespace}/"`,
    })) {
      children.push(execution.workflowId);
    }
    assert.deepEqual(children, [`provision/${namespace}/orders/g1`], 'exactly one provisioning ran');
  });

  it('rolls every node once, one at a time, when a static broker config changes', async () => {
    const pods = (await core.listNamespacedPod({ namespace, labelSelector: 'keelson.dev/cluster=orders' }))
      .items;
    const bootstrap = pods.map((p) => `${p.status?.podIP}:9092`);
    await replicatedTopicWithMessages(bootstrap, 'payments', 1_000);
    const starts = (pod: string): number => brokerStarts(namespace, pod);
    const names = pods.map((p) => p.metadata?.name ?? '').sort();
    const startsBefore = names.map(starts);

    // Watch availability all through the roll: never two nodes down at once.
    let mostDown = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const current = (
          await core.listNamespacedPod({ namespace, labelSelector: 'keelson.dev/cluster=orders' })
        ).items;
        mostDown = Math.max(
          mostDown,
          3 - current.filter((p) => isReady(p) && !p.metadata?.deletionTimestamp).length,
        );
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();

    const patched = (await custom.patchNamespacedCustomObject({
      group,
      version,
      namespace,
      plural,
      name: 'orders',
      body: [{ op: 'add', path: '/spec/config/num.partitions', value: 6 }],
    })) as { metadata: { generation: number } };
    assert.equal(patched.metadata.generation, 2);
    await client.workflow
      .getHandle(clusterWorkflowId(namespace, 'orders'))
      .signal(specSignal, { uid, generation: 2 });
    const status = await readyStatus(2);
    sampling = false;
    await sampler;

    assert.equal(status.lastOperation?.type, 'roll');
    assert.equal(status.lastOperation?.result, 'Succeeded');
    assert.deepEqual(
      names.map(starts),
      startsBefore.map((n) => n + 1),
      'each node started exactly once more',
    );
    assert.ok(mostDown <= 1, `at most one node down at a time, saw ${mostDown}`);
    const after = (await core.listNamespacedPod({ namespace, labelSelector: 'keelson.dev/cluster=orders' }))
      .items;
    const hash = (list: typeof pods, name: string) =>
      list.find((p) => p.metadata?.name === name)?.metadata?.annotations?.['keelson.dev/config-hash'];
    for (const name of names)
      assert.notEqual(hash(after, name), hash(pods, name), `${name} runs the new config`);
    assert.equal(
      (
        await consumeKeys(
          after.map((p) => `${p.status?.podIP}:9092`),
          'payments',
          1_000,
        )
      ).size,
      1_000,
    );
    // Leadership went back to the preferred replicas after the restarts.
    const admin = new Admin({
      clientId: 'test',
      bootstrapBrokers: after.map((p) => `${p.status?.podIP}:9092`),
    });
    try {
      const metadata = await admin.metadata({ topics: ['payments'], forceUpdate: true });
      const partitions = metadata.topics.get('payments')?.partitions ?? [];
      assert.deepEqual(
        partitions.map((p) => p.leader),
        partitions.map((p) => p.replicas[0]),
      );
    } finally {
      await admin.close();
    }
    // Each restart is an Event on the KafkaCluster, related to its pod.
    const recorded = await clusterEvents(events, namespace, 'orders');
    assert.deepEqual(
      recorded
        .filter((e) => e.reason === 'NodeRestarted')
        .map((e) => e.pod)
        .sort(),
      names,
    );
    assert.ok(recorded.some((e) => e.reason === 'OperationStarted' && /rolling/.test(e.note)));

    // Its history grows with the restarts, not with the waits, and shows one named step per restart.
    const { events: rollEvents } = await client.workflow
      .getHandle(`roll/${namespace}/orders/g2`)
      .fetchHistory();
    const steps = (rollEvents ?? [])
      .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'restartNode')
      .map((e) => decodeSummary(e.userMetadata?.summary));
    assert.deepEqual(
      steps.map((s) => s?.split(' (')[0]).sort(),
      names.map((n) => `restart ${n}`),
    );
    assert.ok(
      (rollEvents?.length ?? Infinity) <= 30 * names.length,
      `${rollEvents?.length} history events for ${names.length} restarts`,
    );
    console.log(`3-node roll: ${rollEvents?.length} history events`);
  });

  it('pauses, resumes and force-rolls through the keelson CLI, refusing what does not apply', async () => {
    // Asynchronous on purpose: this process also hosts the worker that answers the updates.
    const keelson = (...args: string[]) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          [mainScript, ...args, `--temporal-address=${env.temporal.address}`],
          { env: { ...process.env, KUBECONFIG: env.kubeconfig } },
          (err, stdout, stderr) =>
            resolve({ status: err ? ((err.code as number | undefined) ?? 1) : 0, stdout, stderr }),
        );
      });
    const ref = `${namespace}/orders`;
    const handle = client.workflow.getHandle(clusterWorkflowId(namespace, 'orders'));

    assert.match((await keelson('pause', ref)).stdout, /paused/);
    const again = await keelson('pause', ref);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /refused: the cluster is already paused/);
    assert.match((await keelson('roll', ref)).stderr, /refused: the cluster is paused/);

    // While paused, a new generation is seen but not acted on.
    await custom.patchNamespacedCustomObject({
      group,
      version,
      namespace,
      plural,
      name: 'orders',
      body: [{ op: 'replace', path: '/spec/rollout/delayBetweenRestarts', value: '1s' }],
    });
    await handle.signal(specSignal, { uid, generation: 3 });
    await eventually(
      'the Paused condition',
      async () =>
        (await readStatus())?.conditions?.some((c) => c.type === 'Paused' && c.status === 'True') ||
        undefined,
    );
    const paused = await handle.query(stateQuery);
    assert.equal(paused.lastSeenGeneration, 3);
    assert.equal(paused.lastPlannedGeneration, 2);
    assert.match((await keelson('status', ref)).stdout, /paused: {6}yes/);
    // The resource and the workflow together, for a script.
    const report = JSON.parse((await keelson('status', ref, '-o', 'json')).stdout) as ClusterStatusReport;
    assert.ok(!('error' in report.resource) && !('error' in report.workflow), JSON.stringify(report));
    assert.equal(report.resource.status.brokersReady, '3/3');
    assert.equal(report.resource.generation, 3);
    assert.ok(report.resource.status.conditions?.some((c) => c.type === 'Paused' && c.status === 'True'));
    assert.equal(report.workflow.paused, true);
    assert.equal(report.workflow.lastSeenGeneration, 3);

    // --watch follows it: the resume shows up as a new line without asking again.
    const watching = spawn(
      process.execPath,
      [mainScript, 'status', ref, '--watch', '-o', 'json', `--temporal-address=${env.temporal.address}`],
      { env: { ...process.env, KUBECONFIG: env.kubeconfig } },
    );
    const seen: ClusterStatusReport[] = [];
    let pending = '';
    watching.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) seen.push(JSON.parse(line) as ClusterStatusReport);
    });
    try {
      await eventually('the first report of --watch', async () => seen.length > 0 || undefined);
      assert.match((await keelson('resume', ref)).stdout, /resumed/);
      await eventually(
        '--watch to print the resumed workflow',
        async () => seen.some((r) => !('error' in r.workflow) && !r.workflow.paused) || undefined,
      );
    } finally {
      watching.kill();
    }
    await readyStatus(3);

    const names = (
      await core.listNamespacedPod({ namespace, labelSelector: 'keelson.dev/cluster=orders' })
    ).items
      .map((p) => p.metadata?.name ?? '')
      .sort();
    const starts = (pod: string): number => brokerStarts(namespace, pod);
    const before = names.map(starts);
    // Partitions no restart can keep available (RF 1, and RF 2 with min.insync.replicas 2) do not hold the roll.
    const pods = (await core.listNamespacedPod({ namespace, labelSelector: 'keelson.dev/cluster=orders' }))
      .items;
    const admin = new Admin({
      clientId: 'test',
      bootstrapBrokers: pods.map((p) => `${p.status?.podIP}:9092`),
    });
    try {
      await admin.createTopics({ topics: ['scratch'], partitions: 3, replicas: 1 });
      await admin.createTopics({ topics: ['pairs'], partitions: 3, replicas: 2 });
    } finally {
      await admin.close();
    }
    assert.match((await keelson('roll', ref, '--reason=test')).stdout, /forced roll accepted/);
    const status = await eventually(
      'the forced roll to finish',
      async () => {
        const current = await readStatus();
        return current?.lastOperation?.workflowId.includes('forced') &&
          current.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
          ? current
          : undefined;
      },
      300_000,
      1_000,
    );
    assert.equal(status.lastOperation?.result, 'Succeeded');
    assert.deepEqual(
      names.map(starts),
      before.map((n) => n + 1),
      'a forced roll restarts each node once',
    );
    const warnings = (await clusterEvents(events, namespace, 'orders')).filter(
      (e) => e.reason === 'PartitionsUnavailableDuringRestart',
    );
    assert.equal(warnings.length, 3, 'one warning for each restarted node, which holds some of them');
    assert.ok(warnings.every((e) => e.type === 'Warning' && /scratch|pairs/.test(e.note)));

    // The roll as a timeline: a bar for each node's restart, read from the roll's history.
    const svg = join(mkdtempSync(join(tmpdir(), 'keelson-roll-')), 'roll.svg');
    const drawn = await keelson('status', ref, '--svg', svg);
    assert.equal(drawn.status, 0, drawn.stderr);
    const picture = readFileSync(svg, 'utf8');
    assert.match(picture, /^<svg /);
    assert.match(picture, /roll .*forced.* \(Succeeded\)/);
    for (const pod of names) assert.match(picture, new RegExp(`>restartNode ${pod}<`), pod);
  });

  it('applies a dynamic broker config through the Admin API without restarting a broker', async () => {
    const pods = (await core.listNamespacedPod({ namespace, labelSelector: 'keelson.dev/cluster=orders' }))
      .items;
    const names = pods.map((p) => p.metadata?.name ?? '').sort();
    const starts = (pod: string): number => brokerStarts(namespace, pod);
    const before = names.map(starts);
    const patched = (await custom.patchNamespacedCustomObject({
      group,
      version,
      namespace,
      plural,
      name: 'orders',
      body: [{ op: 'add', path: '/spec/config/log.retention.ms', value: 7_200_000 }],
    })) as { metadata: { generation: number } };
    await client.workflow
      .getHandle(clusterWorkflowId(namespace, 'orders'))
      .signal(specSignal, { uid, generation: patched.metadata.generation });
    const status = await readyStatus(patched.metadata.generation);
    assert.equal(status.lastOperation?.type, 'configure');
    assert.equal(status.lastOperation?.result, 'Succeeded');
    assert.deepEqual(names.map(starts), before, 'no broker restarted');
    const admin = new Admin({
      clientId: 'test',
      bootstrapBrokers: pods.map((p) => `${p.status?.podIP}:9092`),
    });
    try {
      for (const broker of ['0', '1', '2']) {
        const [description] = await admin.describeConfigs({
          resources: [
            {
              resourceType: ConfigResourceTypes.BROKER,
              resourceName: broker,
              configurationKeys: ['log.retention.ms'],
            },
          ],
        });
        assert.equal(description?.configs.find((c) => c.name === 'log.retention.ms')?.value, '7200000');
      }
    } finally {
      await admin.close();
    }
    const config = await core.readNamespacedConfigMap({ namespace, name: 'orders-config' });
    assert.match(config.data?.['server.properties'] ?? '', /^log\.retention\.ms=7200000$/m);
    assert.ok(
      (await clusterEvents(events, namespace, 'orders')).some((e) => e.reason === 'DynamicConfigApplied'),
    );
  });

  it('recreates a deleted broker pod when told of the drift, restarting nothing else', async () => {
    const names = (
      await core.listNamespacedPod({ namespace, labelSelector: 'keelson.dev/cluster=orders' })
    ).items
      .map((p) => p.metadata?.name ?? '')
      .sort();
    const starts = (pod: string): number => brokerStarts(namespace, pod);
    const before = names.map(starts);
    const victim = names[1] ?? '';
    await core.deleteNamespacedPod({ namespace, name: victim });
    await eventually('the pod to be gone', async () =>
      (await core.listNamespacedPod({ namespace, labelSelector: 'keelson.dev/cluster=orders' })).items.some(
        (p) => p.metadata?.name === victim,
      )
        ? undefined
        : true,
    );
    await client.workflow
      .getHandle(clusterWorkflowId(namespace, 'orders'))
      .signal(driftSignal, { reason: `pod ${victim} deleted` });
    const status = await eventually(
      'the repair to finish',
      async () => {
        const current = await readStatus();
        return current?.lastOperation?.type === 'repair' &&
          current.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
          ? current
          : undefined;
      },
      300_000,
      1_000,
    );
    assert.equal(status.lastOperation?.result, 'Succeeded');
    assert.deepEqual(
      names.map(starts),
      before.map((n, i) => (names[i] === victim ? n + 1 : n)),
      'only the deleted node started again',
    );
    const repaired = await eventually('the NodeRepaired event', async () =>
      (await clusterEvents(events, namespace, 'orders')).find((e) => e.reason === 'NodeRepaired'),
    );
    assert.equal(repaired.pod, victim);
    assert.equal(repaired.type, 'Warning');
  });

  it('holds a roll for the maintenance window, and drops it for a newer spec', async () => {
    const handle = client.workflow.getHandle(clusterWorkflowId(namespace, 'orders'));
    const inTwoHours = new Date(Date.now() + 2 * 3_600_000).toISOString().slice(11, 16);
    const windowed = (await custom.patchNamespacedCustomObject({
      group,
      version,
      namespace,
      plural,
      name: 'orders',
      body: [
        {
          op: 'add',
          path: '/spec/rollout/maintenanceWindows',
          value: [
            { days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'], start: inTwoHours, duration: '30m' },
          ],
        },
        { op: 'add', path: '/spec/config/num.partitions', value: 4 },
      ],
    })) as { metadata: { generation: number } };
    await handle.signal(specSignal, { uid, generation: windowed.metadata.generation });
    const waiting = await eventually('the roll to wait for its window', async () => {
      const current = await readStatus();
      return current?.currentOperation?.blockedReason?.includes('maintenance window') ? current : undefined;
    });
    assert.equal(waiting.currentOperation?.type, 'roll');
    assert.match(waiting.currentOperation?.blockedReason ?? '', new RegExp(`opens at .*T${inTwoHours}`));

    // Without windows the roll is due now: the waiting roll stops and a new one runs.
    const open = (await custom.patchNamespacedCustomObject({
      group,
      version,
      namespace,
      plural,
      name: 'orders',
      body: [{ op: 'replace', path: '/spec/rollout/maintenanceWindows', value: [] }],
    })) as { metadata: { generation: number } };
    await handle.signal(specSignal, { uid, generation: open.metadata.generation });
    const status = await readyStatus(open.metadata.generation);
    assert.equal(status.lastOperation?.type, 'roll');
    assert.equal(status.lastOperation?.workflowId, `roll/${namespace}/orders/g${open.metadata.generation}`);
    const held = await client.workflow
      .getHandle(`roll/${namespace}/orders/g${windowed.metadata.generation}`)
      .result();
    assert.deepEqual(held, { restarted: [], superseded: true });
  });

  it('grows every volume claim when storage.size grows, restarting no broker', async () => {
    const names = (
      await core.listNamespacedPod({ namespace, labelSelector: 'keelson.dev/cluster=orders' })
    ).items.map((p) => p.metadata?.name ?? '');
    const before = names.map((pod) => brokerStarts(namespace, pod));
    const generation = await changeSpec([
      { op: 'replace', path: '/spec/nodePools/0/storage/size', value: '2Gi' },
    ]);
    const status = await readyStatus(generation);
    assert.equal(status.lastOperation?.type, 'expand');
    assert.equal(status.lastOperation?.result, 'Succeeded');
    const claims = (
      await core.listNamespacedPersistentVolumeClaim({
        namespace,
        labelSelector: 'keelson.dev/cluster=orders',
      })
    ).items;
    assert.deepEqual(
      claims.map((c) => [
        c.metadata?.name,
        c.spec?.resources?.requests?.storage,
        c.status?.capacity?.storage,
      ]),
      names.sort().map((pod) => [`data-${pod}`, '2Gi', '2Gi']),
    );
    assert.deepEqual(
      names.map((pod) => brokerStarts(namespace, pod)),
      before,
      'no broker restarted',
    );
  });

  it('refuses to grow claims whose StorageClass cannot grow them, naming the class, and changes nothing', async () => {
    const spec = {
      kafkaVersion: '4.1.1',
      nodePools: [
        {
          name: 'combined',
          roles: ['controller', 'broker'],
          replicas: 1,
          zones: ['zone-a'],
          storage: { size: '1Gi', class: 'keelson-local-fixed' },
        },
        {
          name: 'brokers',
          roles: ['broker'],
          replicas: 1,
          zones: ['zone-b'],
          storage: { size: '1Gi', class: 'keelson-local-fixed' },
        },
      ],
      replication: { defaultReplicationFactor: 2, minInSyncReplicas: 1 },
    };
    const fixedUid = await createKafkaCluster(custom, namespace, 'fixed', spec);
    const handle = await client.workflow.signalWithStart('kafkaClusterWorkflow', {
      workflowId: clusterWorkflowId(namespace, 'fixed'),
      taskQueue,
      args: [{ namespace, name: 'fixed', uid: fixedUid }],
      signal: specSignal,
      signalArgs: [{ uid: fixedUid, generation: 1 }],
    });
    try {
      await readyAtGeneration(custom, namespace, 'fixed', 1, 300_000);
      const patched = (await custom.patchNamespacedCustomObject({
        group,
        version,
        namespace,
        plural,
        name: 'fixed',
        body: [{ op: 'replace', path: '/spec/nodePools/0/storage/size', value: '2Gi' }],
      })) as { metadata: { generation: number } };
      await handle.signal(specSignal, { uid: fixedUid, generation: patched.metadata.generation });
      const degraded = await eventually('the refusal', async () => {
        const current = await readClusterStatus(custom, namespace, 'fixed');
        return current?.observedGeneration === patched.metadata.generation
          ? current.conditions?.find((c) => c.type === 'Degraded' && c.status === 'True')
          : undefined;
      });
      assert.match(degraded.message, /StorageClass keelson-local-fixed does not allow volume expansion/);
      const claim = await core.readNamespacedPersistentVolumeClaim({
        namespace,
        name: 'data-fixed-combined-0',
      });
      assert.equal(claim.spec?.resources?.requests?.storage, '1Gi');
    } finally {
      await handle.terminate('test finished').catch(() => undefined);
    }
  });

  it('reports a backup schedule that never runs as InvalidSpec, changes nothing, and recovers when the spec is fixed', async () => {
    const handle = client.workflow.getHandle(clusterWorkflowId(namespace, 'orders'));
    const names = (
      await core.listNamespacedPod({ namespace, labelSelector: 'keelson.dev/cluster=orders' })
    ).items.map((p) => p.metadata?.name ?? '');
    const starts = () => names.map((pod) => brokerStarts(namespace, pod));
    const before = starts();
    // Admission lets "0 0 31 2 *" through (CEL cannot parse cron); the workflow's check must not.
    const invalid = await changeSpec([
      {
        op: 'add',
        path: '/spec/backup',
        value: { schedule: '0 0 31 2 *', target: { filesystem: { path: '/tmp/keelson-backups' } } },
      },
    ]);
    const refused = await eventually('the InvalidSpec condition', async () => {
      const current = await readStatus();
      const condition = current?.conditions?.find((c) => c.type === 'InvalidSpec');
      return current?.observedGeneration === invalid && condition?.status === 'True' ? condition : undefined;
    });
    assert.match(refused.message, /backup\.schedule: "0 0 31 2 \*" never runs/);
    await assert.rejects(
      client.schedule.getHandle(backupScheduleId(namespace, 'orders')).describe(),
      'no schedule was made',
    );
    await assert.rejects(
      handle.executeUpdate(rollUpdate, { args: [{ reason: 'test' }] }),
      refusedWith(/the spec is invalid/),
    );

    const fixed = await changeSpec([{ op: 'remove', path: '/spec/backup' }]);
    const status = await readyStatus(fixed);
    assert.equal(status.conditions?.find((c) => c.type === 'InvalidSpec')?.status, 'False');
    assert.deepEqual(starts(), before, 'no broker restarted');
  });

  it('drops forged or malformed signals, refuses malformed Updates, and still plans the next real change', async () => {
    const handle = client.workflow.getHandle(clusterWorkflowId(namespace, 'orders'));
    const planned = (await handle.query(stateQuery)).lastPlannedGeneration;
    // A generation the API server never had: one extra pass, then later changes count again.
    await handle.signal(specSignal, { uid, generation: 1_000_000_000_000 });
    // Payloads of the wrong shape are ignored, whoever sends them.
    await handle.signal(specSignal, { uid, generation: 'latest' } as never);
    await handle.signal(specSignal, { uid: 'x'.repeat(10_000), generation: 2 });
    await handle.signal(driftSignal, { reason: 'r'.repeat(2_000) });
    await assert.rejects(
      handle.executeUpdate(rollUpdate, { args: [{ reason: 'r'.repeat(2_000) }] }),
      refusedWith(/invalid roll request: reason: too long: at most 1024 characters/),
    );
    await assert.rejects(
      handle.executeUpdate(rollUpdate, { args: [] as never }),
      refusedWith(/invalid roll request/),
    );
    await eventually('the forged generation to be let go', async () => {
      const state = await handle.query(stateQuery);
      return state.lastSeenGeneration === planned && state.driftReported === undefined ? state : undefined;
    });
    assert.equal((await handle.query(stateQuery)).forcedRoll, undefined);

    const generation = await changeSpec([
      { op: 'add', path: '/spec/config/log.retention.ms', value: 3_600_000 },
    ]);
    const status = await readyStatus(generation);
    assert.equal(status.lastOperation?.type, 'configure');
  });

  it('replays the histories it recorded without non-determinism', async () => {
    const ids = [
      clusterWorkflowId(namespace, 'orders'),
      `provision/${namespace}/orders/g1`,
      `roll/${namespace}/orders/g2`,
      `configure/${namespace}/orders/g4`,
    ];
    for (const workflowId of ids) {
      const history = await client.workflow.getHandle(workflowId).fetchHistory();
      await Worker.runReplayHistory({ workflowsPath }, history, workflowId);
    }
  });
});
