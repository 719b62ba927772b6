// The cluster converges by itself, on the real API server, Temporal and
// Kafka brokers: a worker with a 5 s resync interval puts back a ConfigMap
// edited by hand, a deleted Service and PodDisruptionBudget and a dynamic
// config changed behind its back within one periodic pass, with no signal
// (no watcher runs here); and a pod that cannot start is retried with
// growing delays until the cause is gone, then the cluster is Ready without
// any change to its spec.
import { CoreV1Api, CustomObjectsApi, EventsV1Api, PolicyV1Api } from '@kubernetes/client-node';
import { MockActivityEnvironment } from '@temporalio/testing';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { kafkaClients } from '../../../src/activities/kafka/client-options.ts';
import { brokerConfigActivities } from '../../../src/activities/kafka/broker-config.ts';
import type { KafkaClusterStatus } from '../../../src/crd/kafka-cluster.ts';
import { names } from '../../../src/domain/names.ts';
import { minimalSpec } from '../../fixtures/kafka-cluster-specs.ts';
import { adminKubeConfig, eventually, setZoneOutage } from '../../helpers/cluster.ts';
import { readClusterStatus } from '../../helpers/kafka-cluster.ts';
import { isReady } from '../../helpers/kafka.ts';
import {
  clusterName,
  managedCluster,
  provisioned,
  type ManagedCluster,
} from '../../helpers/managed-cluster.ts';

describe('a cluster that converges by itself', () => {
  const admin = adminKubeConfig();
  const core = admin.makeApiClient(CoreV1Api);
  const custom = admin.makeApiClient(CustomObjectsApi);
  const policy = admin.makeApiClient(PolicyV1Api);
  let cluster: ManagedCluster;
  const spec = {
    ...minimalSpec,
    config: { 'log.retention.ms': 3_600_000 },
    // One pod per zone: one unschedulable pod must not count as a zone outage here.
    zoneFailover: { enabled: false },
  };

  before(async () => {
    cluster = await managedCluster(admin, 'converge', spec, [
      '--resync-interval=5s',
      '--retry-initial-delay=2s',
      '--retry-max-delay=20s',
    ]);
    await provisioned(admin, cluster);
  });
  after(async () => {
    await setZoneOutage(core, 'zone-b', false);
    await cluster?.close();
  });

  it('puts back a hand-edited ConfigMap, a deleted Service and PDB and a changed dynamic config within one periodic pass', async () => {
    const { namespace } = cluster;
    const configMapName = names.configMap(clusterName);
    const original = (await core.readNamespacedConfigMap({ name: configMapName, namespace })).data;
    await core.replaceNamespacedConfigMap({
      name: configMapName,
      namespace,
      body: {
        metadata: { name: configMapName, namespace },
        data: { ...original, 'server.properties': '# edited by hand\n' },
      },
    });
    await core.deleteNamespacedService({ name: names.bootstrapService(clusterName), namespace });
    await policy.deleteNamespacedPodDisruptionBudget({
      name: names.brokerDisruptionBudget(clusterName),
      namespace,
    });
    const changedAt = Date.now();
    await eventually(
      'the objects put back',
      async () => {
        const configMap = await core.readNamespacedConfigMap({ name: configMapName, namespace });
        const service = await core
          .readNamespacedService({ name: names.bootstrapService(clusterName), namespace })
          .catch(() => undefined);
        const budget = await policy
          .readNamespacedPodDisruptionBudget({ name: names.brokerDisruptionBudget(clusterName), namespace })
          .catch(() => undefined);
        return JSON.stringify(configMap.data) === JSON.stringify(original) && service && budget
          ? true
          : undefined;
      },
      60_000,
      500,
    );
    const tookMs = Date.now() - changedAt;
    // One Event per pass that put something back (a pass may come between two of the edits),
    // recorded just after the objects it names are back.
    const repaired = await eventually(
      'DriftRepaired Events naming every object put back',
      async () => {
        const events = await admin.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace });
        const notes = events.items
          .filter((e) => e.reason === 'DriftRepaired')
          .map((e) => e.note)
          .join('; ');
        return ['ConfigMap/', 'Service/', 'PodDisruptionBudget/'].every((kind) => notes.includes(kind))
          ? notes
          : undefined;
      },
      30_000,
      250,
    );
    assert.match(repaired, /ConfigMap\/orders-config/);
    assert.match(repaired, /Service\/orders-bootstrap/);
    assert.match(repaired, /PodDisruptionBudget\/orders-brokers/);

    // A dynamic config changed behind Keelson's back, with Keelson's own admin call (an activity).
    const kafka = brokerConfigActivities(kafkaClients(undefined));
    await new MockActivityEnvironment().run(kafka.applyClusterDynamicConfig, {
      bootstrap: { addresses: await cluster.bootstrap(), tls: null },
      set: { 'log.retention.ms': '1000' },
      remove: [],
    });
    const configChangedAt = Date.now();
    await eventually(
      'the dynamic config put back',
      async () => {
        const config = await kafka.readClusterDynamicConfig({
          bootstrap: { addresses: await cluster.bootstrap(), tls: null },
        });
        return config['log.retention.ms'] === '3600000' ? true : undefined;
      },
      60_000,
      500,
    );
    const configTookMs = Date.now() - configChangedAt;
    const status = (await readClusterStatus(custom, namespace, clusterName)) as KafkaClusterStatus;
    assert.equal(status.observedGeneration, 1, 'no spec change');
    console.log(
      `objects put back ${tookMs} ms, the dynamic config ${configTookMs} ms after the change (resync interval 5 s)`,
    );
  });

  it('retries a pod that cannot start with growing delays, and is Ready once the cause is gone, with no spec change', async () => {
    const { namespace } = cluster;
    const victim = (await cluster.pods()).find((p) => p.metadata?.name?.endsWith('-1'));
    assert.ok(victim?.metadata?.name);
    // Zone b's node is lost, and its pod removed by force (as an admin does for a lost node):
    // the replacement cannot be scheduled until the node returns.
    await setZoneOutage(core, 'zone-b', true);
    await core.deleteNamespacedPod({ name: victim.metadata.name, namespace, gracePeriodSeconds: 0 });

    const attempts: NonNullable<KafkaClusterStatus['retry']>[] = [];
    await eventually(
      'three retries',
      async () => {
        const retry = ((await readClusterStatus(custom, namespace, clusterName)) as KafkaClusterStatus).retry;
        if (retry && attempts.at(-1)?.attempt !== retry.attempt) attempts.push(retry);
        return attempts.length >= 3 ? true : undefined;
      },
      180_000,
      500,
    );
    const gaps = attempts.slice(1).map((a, i) => Date.parse(a.at) - Date.parse(attempts[i]?.at ?? ''));
    assert.ok((gaps[1] ?? 0) > (gaps[0] ?? 0), `the delays grow: ${gaps.join(', ')} ms`);
    const degraded = (await readClusterStatus(custom, namespace, clusterName))?.conditions?.find(
      (c) => c.type === 'Degraded',
    );
    assert.equal(degraded?.status, 'True');
    assert.match(degraded?.message ?? '', /orders-combined-1.*Unschedulable|PodCannotStart|cannot run/);

    await setZoneOutage(core, 'zone-b', false);
    const ready = await eventually(
      'Ready again',
      async () => {
        const status = (await readClusterStatus(custom, namespace, clusterName)) as KafkaClusterStatus;
        const pod = (await cluster.pods()).find((p) => p.metadata?.name === victim.metadata?.name);
        return pod && isReady(pod) && status.conditions?.find((c) => c.type === 'Ready')?.status === 'True'
          ? status
          : undefined;
      },
      180_000,
      1_000,
    );
    assert.equal(ready.observedGeneration, 1, 'no spec change was needed');
    assert.equal(ready.retry, undefined, 'no retry left in status');
  });
});
