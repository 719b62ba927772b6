// The cluster workflow's decisions, on Temporal's time-skipping test server
// with fake activities (test/workflows/fakes): the periodic pass, retries
// with backoff, pause, precedence and superseding. Minutes and hours of
// workflow time pass in milliseconds; the end-to-end tests on the real
// servers cover what needs real Kubernetes and Kafka.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { defaultReconcilePolicy } from '../../src/domain/reconcile-policy.ts';
import {
  clusterWorkflowId,
  driftSignal,
  pauseUpdate,
  resumeUpdate,
  rollUpdate,
  specSignal,
} from '../../src/workflows/messages.ts';
import { minimalSpec } from '../fixtures/kafka-cluster-specs.ts';
import { fakeActivityWorker, passTimeUntil, timeSkippingEnvironment } from '../helpers/time-skipping.ts';
import { FakeCluster } from './fakes/fake-cluster.ts';

describe('the cluster workflow, on fake activities with time skipped', () => {
  let env: TestWorkflowEnvironment;
  let world: FakeCluster;
  let worker: Worker;
  let running: Promise<void>;
  let queue = 0;

  before(async () => {
    env = await timeSkippingEnvironment();
  });
  after(async () => {
    await env?.teardown();
  });

  beforeEach(async () => {
    world = new FakeCluster(minimalSpec, defaultReconcilePolicy);
    world.client = env.client;
  });

  /** Starts a worker and the cluster workflow, and waits until the cluster is provisioned and Ready. */
  async function provisioned(): Promise<void> {
    const taskQueue = `decisions-${++queue}`;
    worker = await fakeActivityWorker(env, taskQueue, world.activities());
    running = worker.run();
    await env.client.workflow.signalWithStart('kafkaClusterWorkflow', {
      workflowId: clusterWorkflowId(world.namespace, world.name),
      taskQueue,
      args: [{ namespace: world.namespace, name: world.name, uid: world.uid }],
      signal: specSignal,
      signalArgs: [{ uid: world.uid, generation: world.generation }],
    });
    await passTimeUntil(env, 'Ready', () => world.condition('Ready')?.status === 'True');
  }

  async function stop(): Promise<void> {
    await env.client.workflow
      .getHandle(clusterWorkflowId(world.namespace, world.name))
      .terminate('test finished')
      .catch(() => undefined);
    worker.shutdown();
    await running;
  }

  it('puts a hand-edited ConfigMap and a deleted Service back within one periodic pass, with no signal', async () => {
    await provisioned();
    try {
      const configMap = [...world.objects.keys()].find((k) => k.startsWith('ConfigMap/'));
      const service = [...world.objects.keys()].find((k) => k.startsWith('Service/'));
      assert.ok(configMap && service);
      const original = structuredClone(world.objects.get(configMap));
      (world.objects.get(configMap) as { data: Record<string, string> }).data = {
        'server.properties': 'edited',
      };
      world.objects.delete(service);
      const startedAt = await env.currentTimeMs();

      const repaired = await passTimeUntil(
        env,
        'the drift repaired',
        () => world.events.find((e) => e.reason === 'DriftRepaired'),
        { step: '30s' },
      );
      const tookMs = (await env.currentTimeMs()) - startedAt;
      assert.ok(tookMs <= defaultReconcilePolicy.resyncIntervalMs + 60_000, `put back after ${tookMs} ms`);
      assert.match(repaired.note, new RegExp(`put back ${configMap}, ${service}`));
      assert.deepEqual(world.objects.get(configMap), original);
      assert.ok(world.objects.has(service));
      assert.equal(world.restarted.length, 0, 'nothing restarted for it');
    } finally {
      await stop();
    }
  });

  it('puts a dynamic config changed behind its back back, and passes idle without touching anything', async () => {
    world.update({ ...minimalSpec, config: { 'log.retention.ms': 3_600_000 } });
    await provisioned();
    try {
      await passTimeUntil(
        env,
        'the config applied',
        () => world.dynamicConfig['log.retention.ms'] === '3600000',
      );
      world.dynamicConfig['log.retention.ms'] = '1000';
      world.dynamicConfig['log.cleaner.threads'] = '4';
      await passTimeUntil(
        env,
        'the config put back',
        () => world.dynamicConfig['log.retention.ms'] === '3600000',
        {
          step: '30s',
        },
      );
      assert.deepEqual(world.dynamicConfig, { 'log.retention.ms': '3600000' });

      // An hour of idle passes: reads only, no operation, no Event.
      const events = world.events.length;
      const applies = world.calls.filter((c) => c.startsWith('applyClusterDynamicConfig')).length;
      const before = world.calls.filter((c) => c === 'readCluster').length;
      for (let i = 0; i < 12; i++) await env.sleep('5m');
      await passTimeUntil(env, 'twelve periodic passes', () =>
        world.calls.filter((c) => c === 'readCluster').length >= before + 12 ? true : undefined,
      );
      assert.equal(world.events.length, events);
      assert.equal(world.calls.filter((c) => c.startsWith('applyClusterDynamicConfig')).length, applies);
      assert.equal(world.condition('Ready')?.status, 'True');
    } finally {
      await stop();
    }
  });

  it('retries a pod that cannot start with growing delays, and is Ready once the cause is gone, with no spec change', async () => {
    // One pod per zone here: with zone failover on, one unready pod would be a zone outage.
    world.update({ ...minimalSpec, zoneFailover: { enabled: false } });
    await provisioned();
    try {
      // The pod of node 1 is deleted and cannot be scheduled again for a while.
      world.objects.delete('Pod/orders-combined-1');
      world.unschedulable.add('orders-combined-1');
      await env.client.workflow
        .getHandle(clusterWorkflowId(world.namespace, world.name))
        .signal('drift', { reason: 'pod orders-combined-1 deleted' });
      const attempts: { attempt: number; at: string }[] = [];
      await passTimeUntil(
        env,
        'three retries',
        () => {
          const retry = world.status.retry;
          if (retry && attempts.at(-1)?.attempt !== retry.attempt) attempts.push(retry);
          return attempts.length >= 3 ? true : undefined;
        },
        { step: '10s' },
      );
      assert.deepEqual(
        attempts.map((a) => a.attempt),
        [1, 2, 3],
      );
      const gaps = attempts.slice(1).map((a, i) => Date.parse(a.at) - Date.parse(attempts[i]?.at ?? ''));
      assert.ok((gaps[1] ?? 0) > (gaps[0] ?? 0), `the delays grow: ${gaps.join(', ')} ms`);
      const degraded = world.condition('Degraded');
      assert.equal(degraded?.status, 'True');
      assert.match(degraded?.message ?? '', /orders-combined-1.*Unschedulable.*; retry 3 at /);
      assert.equal(world.generation, 2);

      world.schedulable('orders-combined-1');
      await passTimeUntil(env, 'Ready again', () => world.condition('Ready')?.status === 'True', {
        step: '30s',
      });
      assert.equal(world.status.retry, undefined, 'no retry left in status');
      assert.equal(world.generation, 2, 'no spec change was needed');
    } finally {
      await stop();
    }
  });

  it('a paused cluster neither passes periodically nor retries, and passes again when resumed', async () => {
    await provisioned();
    try {
      const handle = env.client.workflow.getHandle(clusterWorkflowId(world.namespace, world.name));
      await handle.executeUpdate(pauseUpdate);
      await passTimeUntil(env, 'Paused', () => world.condition('Paused')?.status === 'True');
      const reads = world.calls.filter((c) => c === 'readCluster').length;
      world.dynamicConfig['log.retention.ms'] = '1000'; // drift it must leave alone while paused
      for (let i = 0; i < 6; i++) await env.sleep('30m');
      assert.equal(world.calls.filter((c) => c === 'readCluster').length, reads, 'no pass in 3 hours');
      assert.equal(world.dynamicConfig['log.retention.ms'], '1000');

      await handle.executeUpdate(resumeUpdate);
      await passTimeUntil(env, 'resumed and passed', () =>
        world.condition('Paused')?.status === 'False' && world.dynamicConfig['log.retention.ms'] === undefined
          ? true
          : undefined,
      );
    } finally {
      await stop();
    }
  });

  it('a roll waits for its maintenance window; a newer spec supersedes it meanwhile, and each node restarts once', async () => {
    const inTwoHours = new Date((await env.currentTimeMs()) + 2 * 3_600_000);
    const window = {
      days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'],
      start: `${String(inTwoHours.getUTCHours()).padStart(2, '0')}:00`,
      duration: '3h',
    };
    const withWindow = { ...minimalSpec, rollout: { maintenanceWindows: [window] } };
    world.update(withWindow);
    await provisioned();
    try {
      const handle = env.client.workflow.getHandle(clusterWorkflowId(world.namespace, world.name));
      const signal = async (spec: Record<string, unknown>) =>
        handle.signal(specSignal, { uid: world.uid, generation: world.update(spec) });
      // A static broker config: every pod rolls.
      await signal({ ...withWindow, config: { 'auto.create.topics.enable': 'false' } });
      const waiting = await passTimeUntil(env, 'the roll waiting for its window', () =>
        world.status.currentOperation?.blockedReason?.includes('maintenance window')
          ? world.status
          : undefined,
      );
      assert.equal(waiting.currentOperation?.type, 'roll');
      assert.deepEqual(world.restarted, []);

      await signal({ ...withWindow, config: { 'auto.create.topics.enable': 'false', 'num.io.threads': 4 } });
      // A dynamic and a static change: configured at once, and rolled in the window.
      const superseded = (await env.client.workflow.getHandle('roll/shop/orders/g3').result()) as {
        superseded: boolean;
        restarted: string[];
      };
      assert.deepEqual(superseded, { restarted: [], superseded: true });
      await passTimeUntil(env, 'the next roll waiting for the window', () =>
        world.status.currentOperation?.workflowId?.startsWith('roll/shop/orders/g4') &&
        world.status.currentOperation.blockedReason?.includes('maintenance window')
          ? true
          : undefined,
      );
      assert.deepEqual(world.restarted, [], 'nothing restarted outside the window');

      await passTimeUntil(
        env,
        'Ready at generation 4',
        () =>
          world.condition('Ready')?.status === 'True' && world.status.observedGeneration === 4
            ? true
            : undefined,
        { step: '10m' },
      );
      assert.deepEqual([...world.restarted].sort(), [
        'orders-combined-0',
        'orders-combined-1',
        'orders-combined-2',
      ]);
      const rolledAt = Date.parse(world.status.lastOperation?.startedAt ?? '');
      assert.ok(Number.isFinite(rolledAt));
    } finally {
      await stop();
    }
  });

  it('a forced roll restarts every node although its config is current, once', async () => {
    await provisioned();
    try {
      const handle = env.client.workflow.getHandle(clusterWorkflowId(world.namespace, world.name));
      await handle.executeUpdate(rollUpdate, { args: [{ reason: 'rotate something' }] });
      await passTimeUntil(env, 'the forced roll done', () =>
        world.status.lastOperation?.type === 'roll' && world.status.lastOperation.result === 'Succeeded'
          ? true
          : undefined,
      );
      assert.deepEqual([...world.restarted].sort(), [
        'orders-combined-0',
        'orders-combined-1',
        'orders-combined-2',
      ]);
      for (let i = 0; i < 4; i++) await env.sleep('5m');
      await env.sleep('1s');
      assert.equal(world.restarted.length, 3, 'periodic passes do not roll again');
    } finally {
      await stop();
    }
  });

  it('a zone outage comes first: a spec change and a forced roll wait for its failover and return, then run in that order', async () => {
    await provisioned();
    try {
      const handle = env.client.workflow.getHandle(clusterWorkflowId(world.namespace, world.name));
      const started = () => world.events.filter((e) => e.reason === 'OperationStarted').map((e) => e.action);
      world.setZoneDown('zone-b', true);
      await handle.signal(driftSignal, { reason: 'pod orders-combined-1 unready' });
      await passTimeUntil(env, 'the zone reported unavailable', () =>
        world.condition('Degraded')?.reason === 'ZoneUnavailable' ? true : undefined,
      );
      await handle.signal(specSignal, {
        uid: world.uid,
        generation: world.update({ ...minimalSpec, config: { 'log.retention.ms': 7_200_000 } }),
      });
      await handle.executeUpdate(rollUpdate, { args: [{ reason: 'rotate something' }] });

      // Past spec.zoneFailover.after (2m): leadership moves out; nothing else runs while the zone is out.
      await passTimeUntil(
        env,
        'the failover running',
        () => (world.status.currentOperation?.type === 'failover' ? true : undefined),
        { step: '10s' },
      );
      for (let i = 0; i < 6; i++) await env.sleep('10m');
      assert.deepEqual(world.restarted, [], 'no restart while the zone is out');
      assert.equal(world.dynamicConfig['log.retention.ms'], undefined, 'no change while the zone is out');

      world.setZoneDown('zone-b', false);
      await passTimeUntil(
        env,
        'the failover, the change and the forced roll done',
        () =>
          world.status.lastOperation?.type === 'roll' && world.condition('Ready')?.status === 'True'
            ? true
            : undefined,
        { step: '10s' },
      );
      assert.deepEqual(started(), ['provision', 'failover', 'configure', 'roll']);
      assert.equal(world.dynamicConfig['log.retention.ms'], '7200000');
      assert.deepEqual([...world.restarted].sort(), [
        'orders-combined-0',
        'orders-combined-1',
        'orders-combined-2',
      ]);
    } finally {
      await stop();
    }
  });
});
