// The roll never restarts a broker that is recovering its log (real API
// server, Temporal and Kafka 4.1.1): a broker with a lot of unflushed log
// (recovery points are not checkpointed, one recovery thread) is killed hard;
// while the node agent's restart replays its log, a forced roll waits and
// names it in status.currentOperation.blockedReason; once it serves again the
// roll restarts it, once.
import { CustomObjectsApi } from '@kubernetes/client-node';
import { Admin, Producer, ProduceAcks, stringSerializers } from '@platformatic/kafka';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { clusterWorkflowId, rollUpdate } from '../../../src/workflows/messages.ts';
import { minimalSpec } from '../../fixtures/kafka-cluster-specs.ts';
import { adminKubeConfig, env, eventually } from '../../helpers/cluster.ts';
import { brokerStarts, readClusterStatus } from '../../helpers/kafka-cluster.ts';
import { fullIsr } from '../../helpers/kafka.ts';
import { managedCluster, provisioned, type ManagedCluster } from '../../helpers/managed-cluster.ts';
import { killBrokerProcess } from '../../../tools/testenv/src/kill-broker.ts';

// All nodes in one zone: a zone with one unready pod left is not a zone outage (which holds every operation).
const spec = {
  ...minimalSpec,
  nodePools: minimalSpec.nodePools.map((p) => ({ ...p, zones: ['zone-a'] })),
  config: {
    'num.recovery.threads.per.data.dir': 1,
    // Recovery points stay at the start: after a hard kill the whole log is recovered.
    'log.flush.offset.checkpoint.interval.ms': 3_600_000,
    'log.segment.bytes': 1_048_576,
  },
};
// Not node 0: cluster-wide config reads go to broker 0 (a known limit of the Kafka client), and
// the cluster workflow's own pass would wait for it to serve before starting the roll.
const victim = 'orders-combined-1';
const recoveryLog = /Recovering unflushed segment|Loading logs from log dirs/;

describe('a roll and a broker recovering its log', () => {
  const kubeconfig = adminKubeConfig();
  const custom = kubeconfig.makeApiClient(CustomObjectsApi);
  let cluster: ManagedCluster;

  before(async () => {
    cluster = await managedCluster(kubeconfig, 'recovery', spec);
    await provisioned(kubeconfig, cluster);
    const bootstrapBrokers = await cluster.bootstrap();
    const admin = new Admin({ clientId: 'keelson-test', bootstrapBrokers });
    try {
      await admin.createTopics({ topics: ['bulk'], partitions: 12, replicas: 3 });
      await fullIsr(admin, 'bulk', 12, 3);
    } finally {
      await admin.close();
    }
    // About 200 MB on each broker, in 1 MiB segments, all of it recovered with one thread after the kill.
    const producer = new Producer({
      clientId: 'keelson-test-producer',
      bootstrapBrokers,
      serializers: stringSerializers,
      acks: ProduceAcks.ALL,
    });
    try {
      const value = 'v'.repeat(64 * 1024);
      for (let batch = 0; batch < 200; batch++) {
        await producer.send({
          acks: ProduceAcks.ALL,
          messages: Array.from({ length: 16 }, (_, i) => ({ topic: 'bulk', key: `${batch}-${i}`, value })),
        });
      }
    } finally {
      await producer.close();
    }
  });

  after(async () => {
    await cluster?.close();
  });

  it('waits while the killed broker recovers its log, saying why, then restarts it once', async () => {
    const { namespace } = cluster;
    const pods = ['orders-combined-0', 'orders-combined-1', 'orders-combined-2'];
    const starts = () => pods.map((pod) => brokerStarts(namespace, pod));
    const before = starts();
    const logFile = join(env.nodeAgent.podLogs, `${namespace}_${victim}.log`);
    const logBefore = readFileSync(logFile, 'utf8').length;

    killBrokerProcess(namespace, victim);
    await eventually(
      `${victim} to be recovering its log`,
      async () => (recoveryLog.test(readFileSync(logFile, 'utf8').slice(logBefore)) ? true : undefined),
      60_000,
      100,
    );
    await cluster.client.workflow
      .getHandle(clusterWorkflowId(namespace, 'orders'))
      .executeUpdate(rollUpdate, { args: [{ reason: 'test during log recovery' }] });

    const waiting = await eventually(
      'the roll to wait for the recovering broker',
      async () => {
        const status = await readClusterStatus(custom, namespace, 'orders');
        const reason = status?.currentOperation?.blockedReason ?? '';
        return reason.includes(`${victim} is starting up`) ? reason : undefined;
      },
      120_000,
      200,
    );
    assert.match(waiting, /recovers its log or catches up on metadata/);

    const status = await eventually(
      'the forced roll to finish',
      async () => {
        const current = await readClusterStatus(custom, namespace, 'orders');
        return current?.lastOperation?.workflowId.includes('forced') &&
          current.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
          ? current
          : undefined;
      },
      600_000,
      1_000,
    );
    assert.equal(status.lastOperation?.result, 'Succeeded');
    // The victim's start after the crash finished (had the roll restarted it while it
    // recovered, that start would never have finished); then the roll restarted every node once.
    assert.deepEqual(
      starts(),
      before.map((n, i) => n + (i === 1 ? 2 : 1)),
    );
  });
});
