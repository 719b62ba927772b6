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
import { clusterWorkflowId, specSignal } from '../../src/workflows/messages.ts';
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
});
