// Zone failover drills end to end (real API server, Temporal, Kafka 4.1.1),
// driven with the keelson CLI: a drill of zone-a with an acks=all producer
// running and the worker killed during the hold loses no send, never sees
// an offline partition, fails back with leadership on the preferred
// replicas and writes its report into status; an aborted drill fails back;
// requests that cannot be met are refused with the reason.
import { CustomObjectsApi, EventsV1Api } from '@kubernetes/client-node';
import { Admin } from '@platformatic/kafka';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { KafkaClusterStatus } from '../../../src/crd/kafka-cluster.ts';
import { minimalSpec } from '../../fixtures/kafka-cluster-specs.ts';
import { adminKubeConfig, env, eventually } from '../../helpers/cluster.ts';
import { clusterEvents, readClusterStatus } from '../../helpers/kafka-cluster.ts';
import {
  consumeKeys,
  isReady,
  replicatedTopicWithMessages,
  startSteadyProducer,
} from '../../helpers/kafka.ts';
import { managedCluster, provisioned, type ManagedCluster } from '../../helpers/managed-cluster.ts';

const main = fileURLToPath(new URL('../../../src/main.ts', import.meta.url));
const initialMessages = 1_000;

// Asynchronous: the worker answering the updates runs in another process, but a sync call would still block this test's timers.
const keelson = (...args: string[]) =>
  new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [main, ...args, `--temporal-address=${env.temporal.address}`],
      (err, stdout, stderr) => resolve({ status: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });

describe('failover drills', () => {
  const kubeconfig = adminKubeConfig();
  const custom = kubeconfig.makeApiClient(CustomObjectsApi);
  const events = kubeconfig.makeApiClient(EventsV1Api);
  let cluster: ManagedCluster;
  let namespace = '';
  let ref = '';

  const pods = () => cluster.pods();
  const bootstrap = () => cluster.bootstrap();
  const partitions = async (topic: string) => {
    const admin = new Admin({ clientId: 'keelson-test', bootstrapBrokers: await bootstrap() });
    try {
      const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
      return metadata.topics.get(topic)?.partitions ?? [];
    } finally {
      await admin.close();
    }
  };
  const drillEnded = (workflowIdPart: string) =>
    eventually(
      'the drill to end',
      async () => {
        const status = await readClusterStatus(custom, namespace, 'orders');
        return status?.lastDrill?.workflowId.includes(workflowIdPart) &&
          status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
          ? (status as KafkaClusterStatus)
          : undefined;
      },
      600_000,
      1_000,
    );
  const stepStarted = (text: string) =>
    eventually(
      `the drill step "${text}"`,
      async () => {
        const status = await readClusterStatus(custom, namespace, 'orders');
        return status?.currentOperation?.step?.includes(text) || undefined;
      },
      300_000,
    );

  before(async () => {
    cluster = await managedCluster(kubeconfig, 'drill', minimalSpec);
    namespace = cluster.namespace;
    ref = `${namespace}/orders`;
    await provisioned(kubeconfig, cluster);
    await replicatedTopicWithMessages(await bootstrap(), 'ledger', initialMessages);
  });

  after(async () => {
    await cluster?.close();
  });

  it('refuses drills it cannot run, saying why', async () => {
    const unknownZone = await keelson('drill', 'start', ref, '--zone', 'zone-x');
    assert.equal(unknownZone.status, 1);
    assert.match(
      unknownZone.stderr,
      /refused: zone zone-x is not one of the cluster's zones \(zone-a, zone-b, zone-c\)/,
    );
    const tooLong = await keelson('drill', 'start', ref, '--zone', 'zone-a', '--hold', '5h');
    assert.match(tooLong.stderr, /refused: hold 5h is longer than spec.drill.maxHold \(1h\)/);
    const nothing = await keelson('drill', 'abort', ref);
    assert.match(nothing.stderr, /refused: no drill is waiting or running/);
  });

  it('takes zone-a down and back with a producer running, surviving a worker kill', async () => {
    const before = await partitions('ledger');
    const producer = startSteadyProducer(await bootstrap(), 'ledger', initialMessages);
    const started = await keelson('drill', 'start', ref, '--zone', 'zone-a', '--hold', '45s');
    assert.equal(started.status, 0, started.stderr);
    assert.match(started.stdout, /drill of zone-a accepted \(hold 45 s\)/);

    await stepStarted('drill: hold');
    assert.equal((await pods()).length, 2, "zone-a's node is down during the hold");
    await cluster.worker.kill();
    await cluster.worker.start();
    const status = await drillEnded('zone-a');
    const sent = await producer.stop();

    const report = status.lastDrill;
    assert.equal(report?.outcome, 'Succeeded', JSON.stringify(report));
    assert.deepEqual(
      report?.steps.map((s) => s.name.split(' ')[0]),
      ['pre-check', 'move', 'take', 'hold', 'fail'],
    );
    assert.ok(report?.steps.every((s) => s.finishedAt));
    assert.ok((report?.checks?.probes ?? 0) >= 2, `probes: ${report?.checks?.probes}`);
    assert.equal(report?.checks?.failedProbes, 0);
    assert.equal(report?.checks?.maxOfflinePartitions, 0);
    assert.equal(typeof report?.leaderEvacuationSeconds, 'number');
    assert.equal(typeof report?.recoverySeconds, 'number');
    assert.equal(status.lastOperation?.type, 'drill');
    assert.equal(status.lastOperation?.result, 'Succeeded');

    assert.deepEqual(sent.failed, [], 'no acks=all send failed during the drill');
    assert.equal((await pods()).length, 3);
    const afterDrill = await partitions('ledger');
    assert.deepEqual(
      afterDrill.map((p) => p.replicas),
      before.map((p) => p.replicas),
      'replica order put back',
    );
    await eventually('leaders on their preferred replicas', async () => {
      const current = await partitions('ledger');
      return current.every((p) => p.leader === p.replicas[0]) || undefined;
    });
    const seen = await consumeKeys(await bootstrap(), 'ledger', initialMessages + sent.acked.length);
    assert.deepEqual(
      sent.acked.filter((k) => !seen.has(k)),
      [],
    );
    assert.ok((await clusterEvents(events, namespace, 'orders')).some((e) => e.reason === 'DrillSucceeded'));
    // The report as a timeline picture: one bar per step.
    const svg = join(mkdtempSync(join(tmpdir(), 'keelson-drill-')), 'drill.svg');
    assert.match(
      (await keelson('drill', 'status', ref, '--svg', svg)).stdout,
      /last drill: {2}zone zone-a, Succeeded/,
    );
    const picture = readFileSync(svg, 'utf8');
    assert.match(picture, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(picture, /Drill of zone-a in .*: Succeeded/);
    assert.ok((picture.match(/<rect x=/g) ?? []).length >= 4, 'a bar per step');
    assert.match(picture, />hold for \d+ s</);
    assert.match(picture, />fail back</);
  });

  it('fails back at once when a running drill is aborted', async () => {
    const started = await keelson('drill', 'start', ref, '--zone', 'zone-b', '--hold', '10m');
    assert.equal(started.status, 0, started.stderr);
    await stepStarted('drill: hold');
    assert.match((await keelson('drill', 'abort', ref)).stdout, /drill aborted; failing back/);
    const status = await drillEnded('zone-b');
    assert.equal(status.lastDrill?.outcome, 'Aborted');
    assert.equal(status.lastOperation?.result, 'Cancelled');
    assert.equal((await pods()).filter((p) => isReady(p)).length, 3);
  });
});
