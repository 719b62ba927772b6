// A real zone failure (not a drill), end to end on the real API server,
// Temporal and Kafka 4.1.1: the node agent loses zone-a (its broker killed
// and kept down, node NotReady, pod unready). The watcher hears the pod turn
// unready; the cluster workflow reports the zone unavailable, waits the
// configured time, moves preferred leadership out of the zone and reports
// Degraded; nothing of the zone is deleted. When the zone comes back the
// replica orders and preferred leaders are put back and the cluster is Ready.
// With an acks=all producer running throughout, no acknowledged message is lost.
import { CoreV1Api, CustomObjectsApi, EventsV1Api } from '@kubernetes/client-node';
import { Admin } from '@platformatic/kafka';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KafkaClusterStatus } from '../../../src/crd/kafka-cluster.ts';
import { driftSender, watchOwnedObjects } from '../../../src/watch/owned-objects.ts';
import { abortDrillUpdate, clusterWorkflowId, drillUpdate } from '../../../src/workflows/messages.ts';
import { minimalSpec } from '../../fixtures/kafka-cluster-specs.ts';
import { adminKubeConfig, eventually, setZoneOutage } from '../../helpers/cluster.ts';
import { clusterEvents, readClusterStatus } from '../../helpers/kafka-cluster.ts';
import { consumeKeys, replicatedTopicWithMessages, startSteadyProducer } from '../../helpers/kafka.ts';
import { managedCluster, provisioned, type ManagedCluster } from '../../helpers/managed-cluster.ts';

const initialMessages = 2_000;
const failoverAfterSeconds = 20;

describe('a real zone failure', () => {
  const kubeconfig = adminKubeConfig();
  const core = kubeconfig.makeApiClient(CoreV1Api);
  const custom = kubeconfig.makeApiClient(CustomObjectsApi);
  const events = kubeconfig.makeApiClient(EventsV1Api);
  const watching = new AbortController();
  let cluster: ManagedCluster;
  let namespace = '';
  let zoneDown = false;

  const status = async () => (await readClusterStatus(custom, namespace, 'orders')) as KafkaClusterStatus;
  const condition = (s: KafkaClusterStatus, type: string) => s.conditions?.find((c) => c.type === type);
  const partitions = async (bootstrapBrokers: string[], topic: string) => {
    const admin = new Admin({ clientId: 'keelson-test', bootstrapBrokers });
    try {
      const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
      return metadata.topics.get(topic)?.partitions ?? [];
    } finally {
      await admin.close();
    }
  };

  before(async () => {
    cluster = await managedCluster(kubeconfig, 'zonefail', {
      ...minimalSpec,
      zoneFailover: { after: `${failoverAfterSeconds}s` },
    });
    namespace = cluster.namespace;
    await provisioned(kubeconfig, cluster);
    await replicatedTopicWithMessages(await cluster.bootstrap(), 'ledger', initialMessages);
    // The watcher's half that turns owned pods turning unready into drift signals.
    void watchOwnedObjects(
      kubeconfig,
      driftSender(cluster.client),
      { namespaces: [namespace] },
      watching.signal,
    );
  });

  after(async () => {
    watching.abort();
    if (zoneDown) await setZoneOutage(core, 'zone-a', false);
    await cluster?.close();
  });

  it('moves leadership out of a zone down longer than spec.zoneFailover.after and back when it returns', async (t) => {
    const bootstrap = await cluster.bootstrap();
    const original = await partitions(bootstrap, 'ledger');
    assert.ok(
      original.some((p) => p.replicas[0] === 0),
      'node 0 (zone-a) is the preferred leader of some partition',
    );
    const [pod0] = (await cluster.pods()).filter((p) => p.metadata?.name?.endsWith('-0'));
    const producer = startSteadyProducer(bootstrap, 'ledger', initialMessages);

    const lostAt = Date.now();
    zoneDown = true;
    await setZoneOutage(core, 'zone-a', true);

    const waiting = await eventually('the zone reported unavailable', async () => {
      const s = await status();
      return condition(s, 'Degraded')?.reason === 'ZoneUnavailable' ? s : undefined;
    });
    assert.match(condition(waiting, 'Ready')?.message ?? '', /every pod of zone zone-a is unready/);

    // A drill asked for while the zone is out waits for it without spinning the cluster loop
    // (without the hold, each pass re-planned at once: over 20 events a pass, several passes a second).
    const handle = cluster.client.workflow.getHandle(clusterWorkflowId(namespace, 'orders'));
    await handle.executeUpdate(drillUpdate, { args: [{ zone: 'zone-b' }] });
    const historyLength = async () => (await handle.fetchHistory()).events?.length ?? 0;
    const lengthBefore = await historyLength();
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const added = (await historyLength()) - lengthBefore;
    assert.ok(added < 15, `${added} history events in 5 s while the drill waits for the zone`);
    assert.deepEqual(await handle.executeUpdate(abortDrillUpdate), { aborted: 'waiting' });

    const failedOver = await eventually(
      'the ZoneFailedOver event',
      async () =>
        (await clusterEvents(events, namespace, 'orders')).find((e) => e.reason === 'ZoneFailedOver'),
      180_000,
      1_000,
    );
    const failedOverAt = failedOver.time.getTime();
    assert.ok(
      failedOverAt - lostAt >= failoverAfterSeconds * 1_000,
      `leadership moved ${(failedOverAt - lostAt) / 1000} s after the zone was lost, not before ${failoverAfterSeconds} s`,
    );
    const during = await status();
    assert.equal(condition(during, 'Degraded')?.status, 'True');
    assert.equal(during.currentOperation?.type, 'failover');

    const outside = await cluster.bootstrap();
    const evacuated = await partitions(outside, 'ledger');
    assert.deepEqual(
      evacuated.flatMap((p, index) => (p.replicas[0] === 0 || p.leader === 0 ? [index] : [])),
      [],
      'no partition led by, or preferring, the lost zone',
    );
    const podsDuring = await cluster.pods();
    assert.equal(podsDuring.length, 3, 'no pod deleted');
    assert.equal(
      podsDuring.find((p) => p.metadata?.name === pod0?.metadata?.name)?.metadata?.uid,
      pod0?.metadata?.uid,
      "zone-a's pod is the same pod, left for Kubernetes to bring back",
    );
    const claims = await core.listNamespacedPersistentVolumeClaim({ namespace });
    assert.equal(claims.items.length, 3, 'no claim deleted');

    await setZoneOutage(core, 'zone-a', false);
    zoneDown = false;
    const recovered = await eventually(
      'the failover to end with the cluster Ready',
      async () => {
        const s = await status();
        return s.lastOperation?.type === 'failover' && condition(s, 'Ready')?.status === 'True'
          ? s
          : undefined;
      },
      300_000,
      1_000,
    );
    const sent = await producer.stop();
    assert.equal(recovered.lastOperation?.result, 'Succeeded', recovered.lastOperation?.message);
    assert.equal(condition(recovered, 'Degraded')?.status, 'False');
    assert.ok(
      (await clusterEvents(events, namespace, 'orders')).some((e) => e.reason === 'ZoneRecovered'),
      'a ZoneRecovered event',
    );

    const everything = await cluster.bootstrap();
    assert.equal(everything.length, 3);
    const restored = await partitions(everything, 'ledger');
    assert.deepEqual(
      restored.map((p) => p.replicas),
      original.map((p) => p.replicas),
      'replica orders put back',
    );
    await eventually('leaders back on their preferred replicas', async () => {
      const current = await partitions(everything, 'ledger');
      return current.every((p) => p.leader === p.replicas[0]) || undefined;
    });

    t.diagnostic(
      `failover ${(failedOverAt - lostAt) / 1000} s after the loss (${failedOver.note}); ${sent.acked.length} sends acknowledged, ${sent.failed.length} failed`,
    );
    // A real failure may fail sends while Kafka fences the lost broker; none that was acknowledged may be lost.
    assert.ok(sent.acked.length > 0);
    const seen = await consumeKeys(everything, 'ledger', initialMessages + sent.acked.length);
    assert.deepEqual(
      sent.acked.filter((k) => !seen.has(k)),
      [],
      'every acknowledged message consumed',
    );
  });
});
