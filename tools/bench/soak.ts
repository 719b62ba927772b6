// The soak (`npm run bench -- --only=soak`): many operations on real brokers
// while faults are injected on a schedule, to measure a failure rate on
// enough operations to mean something.
//
// One `keelson operator` manages three 3-broker clusters. It reaches the API
// server and Temporal through TCP proxies of the bench's own (tcp-proxy.ts).
// Each cluster runs a loop of spec changes, one at a time: mostly
// cluster-wide dynamic config changes (no restart), every `rollEvery`-th a
// read-only broker config change (a roll of all three brokers), and once, on
// the first cluster, a scale from 3 to 4 brokers (a broker-only pool from 0 to 1). Meanwhile a fault is
// injected every `faultEveryMs`, in turn: latency on the API server link,
// its connections dropped (and refused for a moment), the same two on the
// Temporal link, the operator SIGKILLed and started again at once (as the
// kubelet would), a broker JVM SIGKILLed (its pod starts it again), the API
// server restarted.
//
// An operation is complete only when the cluster is Ready at its generation
// (or later) with nothing running and every broker reports the new state
// (described by Kafka itself; for the scale, Kafka's metadata lists four
// brokers). It has failed when the operator reports it failed in
// status.lastOperation (even if a retry later carries it out), or when it is
// not complete within `operationDeadlineMs`. Every failure is kept with its
// cause, from the status and the operator's log.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { killBrokerProcess } from '../testenv/src/kill-broker.ts';
import { restartApiServer } from '../testenv/src/kube.ts';
import { brokersInMetadata, inEffect } from './cluster-checks.ts';
import {
  createCluster,
  clusterReady,
  deleteClusters,
  pausedSpec,
  patchWhenAnswered,
  readCluster,
  repo,
  round,
  startProcess,
  type Bench,
  type Figure,
  type Running,
} from './context.ts';
import { failureRateUpperBound } from './failure-rate.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

const taskQueue = 'bench-soak';
const clusters = ['soak-a', 'soak-b', 'soak-c'];
/** Read-only in Kafka: a change rolls every broker. */
const staticKey = 'group.initial.rebalance.delay.ms';
/** Cluster-wide dynamic: applied through the Admin API, no restart. */
const dynamicKey = 'log.retention.ms';
const operationDeadlineMs = 8 * 60_000;
const faultEveryMs = 20_000;
const faultLatencyMs = 250;
const faultSpanMs = 10_000;

type Kind = 'config' | 'roll' | 'scale';

interface Operation {
  cluster: string;
  kind: Kind;
  generation: number;
  startedAt: number;
  /** Set when every broker reports the new state. */
  completedAt?: number;
  /** Set when the operator reported it failed, or it did not complete in time. */
  failure?: string;
}

interface Fault {
  at: number;
  what: string;
}

export async function measureSoak(bench: Bench): Promise<Figure[]> {
  const { operations: target, rolls: rollTarget } = bench.settings.soak;
  const logFile = join(repo, 'bench', 'results', `soak-operator-${Date.now()}.log`);
  const kubeProxy = await startTcpProxy(apiServerOf(bench.env.kubeconfig));
  const [temporalHost, temporalPort] = bench.env.temporal.address.split(':');
  const temporalProxy = await startTcpProxy({
    host: temporalHost ?? '127.0.0.1',
    port: Number(temporalPort),
  });
  const kubeconfig = join(repo, 'bench', 'results', 'soak-kubeconfig');
  writeFileSync(
    kubeconfig,
    readFileSync(bench.env.kubeconfig, 'utf8').replace(/server: \S+/, `server: https://${kubeProxy.address}`),
  );
  const processOptions = { kubeconfig, temporalAddress: temporalProxy.address, logFile };
  let operator: Running = await startProcess(bench, 'operator', taskQueue, processOptions);

  const operations: Operation[] = [];
  const faults: Fault[] = [];
  const started = Date.now();
  let stopping = false;
  try {
    await Promise.all(
      clusters.map((name, index) =>
        createCluster(bench, name, {
          ...pausedSpec,
          paused: false,
          // The first cluster has an empty broker pool for the scale (controllers stay three).
          nodePools: [
            ...pausedSpec.nodePools,
            ...(index === 0
              ? [{ ...pausedSpec.nodePools[0], name: 'brokers', roles: ['broker'], replicas: 0 }]
              : []),
          ],
          config: { [dynamicKey]: '3600000', [staticKey]: '3000' },
        }),
      ),
    );
    await Promise.all(clusters.map((name) => clusterReady(bench, name, 1)));

    const faultLoop = (async () => {
      const schedule = faultSchedule(bench, kubeProxy, temporalProxy, {
        restartOperator: async () => {
          await operator.kill();
          // Started again until it is up, as the kubelet would (the API server may be restarting).
          for (;;) {
            try {
              operator = await startProcess(bench, 'operator', taskQueue, processOptions);
              return;
            } catch (err) {
              console.error(`bench: starting the operator again: ${String(err).slice(0, 300)}`);
              await sleep(1_000);
            }
          }
        },
      });
      for (let i = 0; !stopping; i++) {
        await sleep(faultEveryMs);
        if (stopping) break;
        const fault = schedule[i % schedule.length]!;
        faults.push({ at: Date.now() - started, what: fault.what });
        await fault
          .inject()
          .catch((err: unknown) => console.error(`bench: fault ${fault.what}: ${String(err)}`));
      }
    })();

    const rollsSoFar = () => operations.filter((o) => o.kind === 'roll').length;
    const enough = () => operations.length >= target && rollsSoFar() >= rollTarget;
    let scaled = false;
    await Promise.all(
      clusters.map(async (name, clusterIndex) => {
        for (let i = 1; !enough(); i++) {
          const scale = clusterIndex === 0 && !scaled && operations.length >= target / 2;
          // Rolls spread over the run: enough of them by the time the target count is reached.
          const rollEvery = Math.max(2, Math.floor(target / (rollTarget + 3)));
          const kind: Kind = scale ? 'scale' : i % rollEvery === 0 ? 'roll' : 'config';
          if (scale) scaled = true;
          operations.push(await runOperation(bench, name, kind, i));
        }
      }),
    );
    stopping = true;
    await faultLoop;
  } finally {
    stopping = true;
    kubeProxy.setLatency(0);
    temporalProxy.setLatency(0);
    kubeProxy.refuse(false);
    temporalProxy.refuse(false);
    // Torn down by the operator (the finalizer is its), so before it stops.
    await deleteClusters(bench).catch((err: unknown) => console.error(`bench: cleaning up: ${String(err)}`));
    await operator.stop();
    await kubeProxy.close();
    await temporalProxy.close();
  }

  const completed = operations.filter((o) => o.completedAt !== undefined && !o.failure);
  const failed = operations.filter((o) => o.failure && o.completedAt !== undefined);
  const running = operations.filter((o) => o.completedAt === undefined);
  const failures = operations.length - completed.length;
  const byKind = (kind: Kind) => operations.filter((o) => o.kind === kind).length;
  const faultCounts = Object.entries(
    faults.reduce<Record<string, number>>(
      (counts, f) => ({ ...counts, [f.what]: (counts[f.what] ?? 0) + 1 }),
      {},
    ),
  )
    .map(([what, n]) => `${what} × ${n}`)
    .join('; ');
  const causes = operations
    .filter((o) => o.failure)
    .map((o) => `${o.cluster} g${o.generation} (${o.kind}): ${o.failure}`);
  const minutes = round((Date.now() - started) / 60_000);
  return [
    {
      name: 'soak: operations failed under faults',
      unit: '%',
      value: round((failures / operations.length) * 100, 2),
      anchor: 'Go 0.03 %, .NET 0.21 % (reconciles under etcd load); target 0 of ≥ 1,000',
      detail:
        `${completed.length} completed, ${failed.length} failed (completed after a reported failure), ` +
        `${running.length} not complete within ${operationDeadlineMs / 60_000} min, of ${operations.length} ` +
        `operations (${byKind('config')} dynamic config changes, ${byKind('roll')} rolls of 3 brokers, ` +
        `${byKind('scale')} scale 3 → 4) on ${clusters.length} clusters in ${minutes} min; ` +
        `95% upper bound of the failure rate ${round(failureRateUpperBound(failures, operations.length) * 100, 2)} %; ` +
        `faults every ${faultEveryMs / 1000} s: ${faultCounts}` +
        (causes.length > 0 ? `; failures: ${causes.join(' | ')}` : '') +
        `; operator log ${logFile}`,
    },
  ];
}

/** Makes one spec change and follows it until it is complete, failed or out of time. */
async function runOperation(bench: Bench, name: string, kind: Kind, index: number): Promise<Operation> {
  const value = kind === 'roll' ? `${3000 + index}` : `${3_600_000 + index * 1000}`;
  const key = kind === 'roll' ? staticKey : dynamicKey;
  const patch =
    kind === 'scale'
      ? [{ op: 'replace', path: '/spec/nodePools/1/replicas', value: 1 }]
      : [{ op: 'add', path: `/spec/config/${key}`, value }];
  const generation = await patchWhenAnswered(bench, name, patch, { tries: 300, intervalMs: 200 });
  const operation: Operation = { cluster: name, kind, generation, startedAt: Date.now() };
  const deadline = operation.startedAt + operationDeadlineMs;
  while (Date.now() < deadline) {
    const status = (await readCluster(bench, name).catch(() => undefined))?.status;
    const last = status?.lastOperation;
    // An operation planned for this generation that the operator reports failed counts, even if retried.
    if (last?.result === 'Failed' && last.workflowId.endsWith(`/g${generation}`) && !operation.failure)
      operation.failure = `${last.type} failed: ${last.message ?? 'no message'}`;
    const ready = status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    if (ready && (status?.observedGeneration ?? 0) >= generation && !status?.currentOperation) {
      const done =
        kind === 'scale'
          ? (await brokersInMetadata(bench, name)) === 4
          : await inEffect(bench, name, key, value);
      if (done) {
        operation.completedAt = Date.now();
        return operation;
      }
    }
    await sleep(kind === 'config' ? 200 : 1_000);
  }
  operation.failure ??= `not complete within ${operationDeadlineMs / 60_000} min`;
  return operation;
}

function faultSchedule(
  bench: Bench,
  kube: TcpProxy,
  temporal: TcpProxy,
  { restartOperator }: { restartOperator: () => Promise<void> },
): { what: string; inject: () => Promise<void> }[] {
  const latency = (proxy: TcpProxy) => async () => {
    proxy.setLatency(faultLatencyMs);
    await sleep(faultSpanMs);
    proxy.setLatency(0);
  };
  const drop = (proxy: TcpProxy) => async () => {
    proxy.refuse(true);
    proxy.dropConnections();
    await sleep(3_000);
    proxy.refuse(false);
  };
  let broker = 0;
  return [
    {
      what: `API server link: ${faultLatencyMs} ms latency for ${faultSpanMs / 1000} s`,
      inject: latency(kube),
    },
    { what: 'API server link: connections dropped, refused for 3 s', inject: drop(kube) },
    {
      what: `Temporal link: ${faultLatencyMs} ms latency for ${faultSpanMs / 1000} s`,
      inject: latency(temporal),
    },
    { what: 'Temporal link: connections dropped, refused for 3 s', inject: drop(temporal) },
    { what: 'operator SIGKILLed and started again', inject: restartOperator },
    {
      what: 'a broker JVM SIGKILLed',
      inject: async () => {
        const cluster = clusters[broker % clusters.length]!;
        killBrokerProcess(bench.namespace, `${cluster}-combined-${broker++ % 3}`);
      },
    },
    { what: 'API server restarted', inject: restartApiServer },
  ];
}

/** host and port of the API server a kubeconfig names. */
function apiServerOf(kubeconfig: string): { host: string; port: number } {
  const server = /server: (\S+)/.exec(readFileSync(kubeconfig, 'utf8'))?.[1];
  if (!server) throw new Error(`no server in ${kubeconfig}`);
  const url = new URL(server);
  return { host: url.hostname, port: Number(url.port || 443) };
}
