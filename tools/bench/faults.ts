// Operations under injected faults, and how fast the operator recovers.
//
// A real 3-broker cluster under data and one `keelson operator`. Each round
// makes three kinds of spec change, each hit by a fault while it runs:
//   1. a static broker config change (a roll), the operator SIGKILLed while
//      the roll restarts a broker and started again at once, as the kubelet
//      would: recovery = kill → the next activity of the interrupted roll
//      starting (Temporal's own start time);
//   2. another roll, the API server restarted while it restarts a broker, and
//      a dynamic config change made the moment the API server answers again:
//      watcher recovery = that change → its spec signal in the workflow;
//   3. another roll, a broker that is not being restarted SIGKILLed (its pod
//      restarts it, as a container runtime would).
// Each spec change is an operation attempted; it is completed when, within
// the deadline, the cluster is Ready at that generation (or a later one) with
// nothing running, and every broker runs with the changed value (described by
// Kafka itself).
import { setTimeout as sleep } from 'node:timers/promises';
import { clusterWorkflowId } from '../../src/workflows/messages.ts';
import { killBrokerProcess } from '../testenv/src/kill-broker.ts';
import { restartApiServer } from '../testenv/src/kube.ts';
import {
  deleteClusters,
  median,
  millis,
  patchWhenAnswered,
  readCluster,
  round,
  startProcess,
  type Bench,
  type Figure,
} from './context.ts';
import { inEffect } from './cluster-checks.ts';
import { startLoadedCluster } from './loaded-cluster.ts';
import { specSignalIndex } from './spec-signal.ts';

const name = 'faults';
const taskQueue = 'bench-faults';
/** Read-only in Kafka: a change rolls every broker. */
const staticKey = 'group.initial.rebalance.delay.ms';
/** Cluster-wide dynamic: applied through the Admin API, no restart. */
const dynamicKey = 'log.retention.ms';
const operationDeadlineMs = 6 * 60_000;

interface Attempt {
  what: string;
  key: string;
  value: string;
  generation: number;
}

export async function measureFaults(bench: Bench): Promise<Figure[]> {
  let operator = await startProcess(bench, 'operator', taskQueue);
  try {
    await startLoadedCluster(bench, name, 3);
    const attempts: Attempt[] = [];
    const completed: Attempt[] = [];
    const workerRecovery: number[] = [];
    const operatorRestart: number[] = [];
    const watcherNotice: number[] = [];
    const apiServerDown: number[] = [];

    const change = async (what: string, key: string, value: string): Promise<Attempt> => {
      const generation = await patchWhenAnswered(
        bench,
        name,
        [{ op: 'add', path: `/spec/config/${key.replaceAll('/', '~1')}`, value }],
        { tries: 50, intervalMs: 100 },
      );
      const attempt = { what, key, value, generation };
      attempts.push(attempt);
      return attempt;
    };
    const settle = async (...settling: Attempt[]) => {
      const done = await settled(bench, settling);
      completed.push(...done);
      for (const a of settling) if (!done.includes(a)) console.error(`bench: not completed: ${a.what}`);
    };

    for (let round = 1; round <= bench.settings.faultRounds; round++) {
      // 1. A roll under a worker kill.
      const killed = await change('roll, operator SIGKILLed', staticKey, `${3000 + round * 10 + 1}`);
      const roll = await restartingBroker(bench);
      const killedAt = Date.now();
      await operator.kill();
      const [restarted, nextActivityAt] = await Promise.all([
        startProcess(bench, 'operator', taskQueue),
        nextActivityStart(bench, roll.workflowId, killedAt),
      ]);
      operator = restarted;
      operatorRestart.push(restarted.readyMs);
      if (nextActivityAt !== undefined) workerRecovery.push(nextActivityAt - killedAt);
      await settle(killed);

      // 2. A roll across an API server restart, and a change made as it comes back.
      const rolled = await change('roll, API server restarted', staticKey, `${3000 + round * 10 + 2}`);
      await restartingBroker(bench);
      const downAt = Date.now();
      await restartApiServer();
      apiServerDown.push(Date.now() - downAt);
      const changedAt = Date.now();
      const configured = await change(
        'config change made as the API server came back',
        dynamicKey,
        `${(100 + round) * 3_600_000}`,
      );
      const signalAt = await specSignalTime(bench, configured.generation);
      if (signalAt !== undefined) watcherNotice.push(signalAt - changedAt);
      await settle(rolled, configured);

      // 3. A roll while another broker is killed.
      const underKill = await change('roll, a broker SIGKILLed', staticKey, `${3000 + round * 10 + 3}`);
      const restarting = await restartingBroker(bench);
      killBrokerProcess(bench.namespace, otherBroker(restarting.node));
      await settle(underKill);
    }

    const kinds = [...new Set(attempts.map((a) => a.what))].join('; ');
    return [
      {
        name: 'operations completed under faults',
        unit: '%',
        value: round((completed.length / attempts.length) * 100, 2),
        anchor: 'Go 99.97 %, .NET 99.79 % (reconciles under etcd load); target 100 %',
        detail: `${completed.length} of ${attempts.length} spec changes carried out (${kinds})`,
      },
      {
        name: 'recovery: operator SIGKILL → next activity of the interrupted roll',
        unit: 'ms',
        median: round(median(workerRecovery), 0),
        anchor: '',
        detail: `${workerRecovery.length} kills; the operator restarted to ready in ${round(median(operatorRestart), 0)} ms (median)`,
      },
      {
        name: 'recovery: change as the API server returns → watcher signal',
        unit: 'ms',
        median: round(median(watcherNotice), 0),
        anchor: '',
        detail: `${watcherNotice.length} API server restarts, each down ${round(median(apiServerDown) / 1000)} s (median)`,
      },
    ];
  } finally {
    // Torn down by the operator (the finalizer is its), so before it stops.
    await deleteClusters(bench);
    await operator.stop();
  }
}

/** Waits until the cluster's roll restarts a broker; returns the roll and that broker's pod. */
async function restartingBroker(bench: Bench): Promise<{ workflowId: string; node: string }> {
  const deadline = Date.now() + operationDeadlineMs;
  while (Date.now() < deadline) {
    const current = (await readCluster(bench, name).catch(() => undefined))?.status?.currentOperation;
    if (current?.type === 'roll' && current.step.startsWith('restarting node') && current.node)
      return { workflowId: current.workflowId, node: current.node };
    await sleep(100);
  }
  throw new Error('the roll did not start restarting a broker');
}

/** When (Temporal's time) an activity of `workflowId` next started after `after`. */
async function nextActivityStart(
  bench: Bench,
  workflowId: string,
  after: number,
): Promise<number | undefined> {
  const handle = bench.client.workflow.getHandle(workflowId);
  const deadline = Date.now() + 3 * 60_000;
  while (Date.now() < deadline) {
    const description = await handle.describe();
    const pending = description.raw.pendingActivities ?? [];
    const started = pending.map((a) => millis(a.lastStartedTime)).filter((t) => t > after);
    if (started.length > 0) return Math.min(...started);
    // Or the interrupted activity completed after all and a later one already ran.
    const events = (await handle.fetchHistory()).events ?? [];
    const later = events
      .filter((e) => e.activityTaskStartedEventAttributes)
      .map((e) => millis(e.eventTime))
      .filter((t) => t > after);
    if (later.length > 0) return Math.min(...later);
    if (description.status.name !== 'RUNNING') return undefined;
    await sleep(100);
  }
  return undefined;
}

/** When the cluster workflow recorded the spec signal for `generation`. */
async function specSignalTime(bench: Bench, generation: number): Promise<number | undefined> {
  const handle = bench.client.workflow.getHandle(clusterWorkflowId(bench.namespace, name));
  const deadline = Date.now() + 2 * 60_000;
  while (Date.now() < deadline) {
    const events = (await handle.fetchHistory()).events ?? [];
    const index = specSignalIndex(events, generation);
    if (index >= 0) return millis(events[index]?.eventTime);
    await sleep(50);
  }
  return undefined;
}

/** Pod names of the cluster's three combined nodes. */
const brokerPods = [0, 1, 2].map((id) => `${name}-combined-${id}`);
const otherBroker = (pod: string): string => brokerPods.find((p) => p !== pod) ?? brokerPods[0]!;

/**
 * Waits until the cluster is Ready at the newest attempt's generation with no
 * operation running; returns the attempts whose value every broker runs with.
 */
async function settled(bench: Bench, attempts: Attempt[]): Promise<Attempt[]> {
  const generation = Math.max(...attempts.map((a) => a.generation));
  const deadline = Date.now() + operationDeadlineMs;
  let effective: Attempt[] = [];
  while (Date.now() < deadline) {
    const cluster = await readCluster(bench, name).catch(() => undefined);
    const status = cluster?.status;
    const ready = status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    if (ready && (status?.observedGeneration ?? 0) >= generation && !status?.currentOperation) {
      effective = [];
      for (const attempt of attempts)
        if (await inEffect(bench, name, attempt.key, attempt.value)) effective.push(attempt);
      if (effective.length === attempts.length) return effective;
    }
    await sleep(1_000);
  }
  return effective;
}
