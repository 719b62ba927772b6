// Workflow histories stay bounded whatever an operation waits for: Temporal
// terminates a run at 51,200 events, and the Temporal UI is only useful when
// a history shows steps, not polls. Run on the time-skipping test server with
// fake activities (the roll's real decision activity over fake observations).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KafkaClusterSpec } from '../../src/crd/kafka-cluster.ts';
import { defaultReconcilePolicy } from '../../src/domain/reconcile-policy.ts';
import { annotationKeys } from '../../src/domain/labels.ts';
import { buildClusterManifests } from '../../src/domain/manifests/index.ts';
import { planNodes, planPoolLayouts } from '../../src/domain/nodes.ts';
import type { RollInput } from '../../src/workflows/roll.ts';
import type { DrillReport } from '../../src/workflows/drill.ts';
import { abortDrillSignal } from '../../src/workflows/messages.ts';
import { fakeActivityWorker, timeSkippingEnvironment } from '../helpers/time-skipping.ts';
import { FakeCluster } from './fakes/fake-cluster.ts';
import { decodeSummary } from '../helpers/workflow-history.ts';

const zones = ['zone-a', 'zone-b', 'zone-c'];

/** A cluster of 3 controllers and `brokers` brokers, running, with pods one config behind. */
function runningCluster(brokers: number) {
  const input = {
    kafkaVersion: '4.1.1',
    nodePools: [
      { name: 'controllers', roles: ['controller'], replicas: 3, zones, storage: { size: '1Gi' } },
      { name: 'brokers', roles: ['broker'], replicas: brokers, zones, storage: { size: '1Gi' } },
    ],
  };
  const spec = KafkaClusterSpec.parse(input);
  const world = new FakeCluster(input, defaultReconcilePolicy);
  const cluster = { namespace: world.namespace, name: world.name, uid: world.uid };
  const layouts = planPoolLayouts(spec.nodePools, []);
  const nodes = planNodes(
    cluster.name,
    spec,
    Object.fromEntries(layouts.map((p) => [p.name, p.nodeIdBase])),
    Object.fromEntries(layouts.map((p) => [p.name, p.nodeZones ?? []])),
  );
  const manifests = buildClusterManifests(cluster, spec, nodes);
  for (const object of [...manifests.shared, ...manifests.claims, ...manifests.pods]) {
    const stale = structuredClone(object);
    if (stale.kind === 'Pod' && stale.metadata) {
      stale.metadata.annotations = { ...stale.metadata.annotations, [annotationKeys.configHash]: 'previous' };
    }
    world.put(stale);
  }
  // Three partitions led from each broker, replicated on the next two.
  const brokerIds = nodes.filter((n) => n.roles.includes('broker')).map((n) => n.nodeId);
  world.partitions = brokerIds.flatMap((id, i) =>
    [0, 1, 2].map((p) => {
      const replicas = [
        id,
        brokerIds[(i + 1) % brokerIds.length] ?? id,
        brokerIds[(i + 2) % brokerIds.length] ?? id,
      ];
      return { topic: `orders-${i}`, partition: p, replicas, isr: replicas, minIsr: 2 };
    }),
  );
  const rollInput: RollInput = {
    cluster,
    spec,
    nodes,
    pods: nodes.map((n) => n.podName),
    reason: 'pods out of date with the spec',
  };
  return { world, rollInput, cluster, spec, nodes };
}

describe('bounded workflow histories', () => {
  let env: TestWorkflowEnvironment;
  before(async () => {
    env = await timeSkippingEnvironment();
  });
  after(async () => {
    await env?.teardown();
  });

  it('a 50-broker roll records at most 30 events per restarted node, however long each waits to catch up', async () => {
    const { world, rollInput } = runningCluster(50);
    world.client = env.client;
    // Each restarted broker is out of the ISR for 20 looks of the roll's wait: 20 polls per node.
    world.catchUpObservations = 20;
    const worker = await fakeActivityWorker(env, 'bounds-roll', world.activities());
    const handle = await worker.runUntil(async () => {
      const started = await env.client.workflow.start('rollWorkflow', {
        taskQueue: 'bounds-roll',
        workflowId: 'roll/shop/orders/g1-r0',
        args: [rollInput],
      });
      const result = (await started.result()) as { restarted: string[]; superseded: boolean };
      assert.equal(result.restarted.length, 53);
      assert.equal(result.superseded, false);
      return started;
    });
    const { events } = await handle.fetchHistory();
    const nodes = rollInput.pods.length;
    const observations = world.calls.filter((c) => c === 'observeKafka').length;
    assert.ok(observations >= 50 * 20, `the roll looked ${observations} times`);
    assert.ok(
      (events?.length ?? Infinity) <= nodes * 30,
      `${events?.length} events for ${nodes} restarted nodes (${((events?.length ?? 0) / nodes).toFixed(1)} each)`,
    );
    // One named restart step per node in the Temporal UI.
    const restartSteps = (events ?? [])
      .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'restartNode')
      .map((e) => decodeSummary(e.userMetadata?.summary));
    assert.equal(restartSteps.length, nodes);
    for (const pod of rollInput.pods)
      assert.ok(
        restartSteps.some((s) => s?.startsWith(`restart ${pod} `)),
        pod,
      );
    console.log(
      `50-broker roll: ${events?.length} history events for ${nodes} restarts (${((events?.length ?? 0) / nodes).toFixed(1)} per node), ${observations} observations of Kafka`,
    );
  });

  it('a multi-hour drain records a handful of events, however long it polls, and clears its throttle', async () => {
    const { world, cluster, spec, nodes } = runningCluster(6);
    world.client = env.client;
    // 1 TB at a 50 MiB/s throttle is about 5.8 hours: 7,000 looks at the progress, 3 s apart.
    world.movePolls = 7_000;
    const leavingNode = nodes.at(-1);
    assert.ok(leavingNode);
    const observed = await world
      .activities()
      .observeNodes?.({ namespace: cluster.namespace, cluster: cluster.name });
    const leaving = (observed ?? []).filter((n) => n.podName === leavingNode.podName);
    const worker = await fakeActivityWorker(env, 'bounds-drain', world.activities());
    const handle = await worker.runUntil(async () => {
      const started = await env.client.workflow.start('scaleDownWorkflow', {
        taskQueue: 'bounds-drain',
        workflowId: 'scale-down/shop/orders/g2-r0',
        args: [{ cluster, spec, nodes: nodes.slice(0, -1), leaving }],
      });
      await started.result();
      return started;
    });
    const { events } = await handle.fetchHistory();
    const polls = world.calls.filter((c) => c === 'moveProgress').length;
    assert.equal(polls, 7_000);
    assert.ok(
      (events?.length ?? Infinity) <= 100,
      `${events?.length} events for a drain polled ${polls} times`,
    );
    assert.equal(world.throttled, false, 'the replication throttle is cleared');
    assert.ok(world.calls.lastIndexOf('clearThrottle') > world.calls.lastIndexOf('moveProgress'));
    assert.ok(
      !world.partitions.some((p) => p.replicas.includes(leavingNode.nodeId)),
      'the broker was drained',
    );
    assert.ok(world.calls.includes(`removeNodes ${leavingNode.podName}`));
    console.log(`drain polled ${polls} times: ${events?.length} history events`);
  });

  it('a 10-hour drill records a handful of events for 3,600 probes, and an abort still fails back', async () => {
    const { world, cluster, spec, nodes } = runningCluster(6);
    world.client = env.client;
    const worker = await fakeActivityWorker(env, 'bounds-drill', world.activities());
    const tenHours = 10 * 3_600_000;
    const { handle, report } = await worker.runUntil(async () => {
      const started = await env.client.workflow.start('drillWorkflow', {
        taskQueue: 'bounds-drill',
        workflowId: 'drill/shop/orders/zone-b-1',
        args: [{ cluster, spec, nodes, zone: 'zone-b', holdMs: tenHours }],
      });
      return { handle: started, report: (await started.result()) as DrillReport };
    });
    assert.equal(report.outcome, 'Succeeded', report.message);
    assert.equal(report.checks?.probes, tenHours / 10_000);
    assert.equal(report.checks?.failedProbes, 0);
    const { events } = await handle.fetchHistory();
    assert.ok((events?.length ?? Infinity) <= 200, `${events?.length} events for a 10-hour hold`);
    const zonePods = nodes.filter((n) => n.zone === 'zone-b').map((n) => n.podName);
    for (const pod of zonePods) assert.ok(world.objects.has(`Pod/${pod}`), `${pod} is back after the drill`);
    console.log(`10-hour drill: ${report.checks?.probes} probes, ${events?.length} history events`);

    // Aborted during its hold: the hold activity is cancelled and the zone comes back.
    world.holdClockMs = 0;
    const again = await fakeActivityWorker(env, 'bounds-drill', world.activities());
    const aborted = await again.runUntil(async () => {
      const started = await env.client.workflow.start('drillWorkflow', {
        taskQueue: 'bounds-drill',
        workflowId: 'drill/shop/orders/zone-b-2',
        args: [{ cluster, spec, nodes, zone: 'zone-b', holdMs: 1_000 * tenHours }],
      });
      while (world.holdClockMs < 60_000) await new Promise((resolve) => setTimeout(resolve, 10));
      await started.signal(abortDrillSignal);
      return (await started.result()) as DrillReport;
    });
    assert.equal(aborted.outcome, 'Aborted');
    for (const pod of zonePods) assert.ok(world.objects.has(`Pod/${pod}`), `${pod} is back after the abort`);
  });
});
