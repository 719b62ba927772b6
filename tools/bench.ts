// `npm run bench` (`-- --quick` for a short run): measures the operator on the
// local environment (started for the run if it is not up) and writes
// bench/results/<timestamp>.json, printing a table of each figure with the
// anchor it is compared to (the published Go and .NET operator figures,
// issue 8). Measured so far:
//   - startup: process start → /readyz 200 (worker polling, watcher listed),
//     cold (no prebuilt workflow bundle) and warm (bundle kept in dist/);
//   - resident memory of `keelson operator` idle and with N managed
//     KafkaClusters, and of `keelson watch` and `keelson worker` apart;
//   - change-to-action latency: a KafkaCluster update → the watcher's spec
//     signal → the workflow task → the first activity of the pass it starts,
//     per hop, from the API server's and Temporal's own timestamps;
//   - roll overhead (full mode): a forced roll of a 3- and a 5-broker cluster
//     with a replicated topic under data, its total time minus each broker's
//     own restart and catch-up (from the restart's start until a metadata
//     sampler sees the node back in every ISR it belongs to), per broker.
// Apart from the rolls the clusters are paused (no broker runs): those
// figures are the operator's. `--only=startup,latency,memory,roll` runs a part.
import { CustomObjectsApi, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { Client, Connection } from '@temporalio/client';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiVersion, group, kind, plural, version } from '../src/crd/kafka-cluster.ts';
import { clusterWorkflowId, rollUpdate } from '../src/workflows/messages.ts';
import { Admin, Producer, ProduceAcks } from '@platformatic/kafka';
import { readTestEnv } from './testenv/src/env.ts';

const repo = join(import.meta.dirname, '..');
const quick = process.argv.includes('--quick');
const settings = quick
  ? { updates: 20, clusters: [20], startups: 2, rolls: [] as number[] }
  : { updates: 200, clusters: [100, 1000], startups: 5, rolls: [3, 5] };
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const part = (name: 'startup' | 'latency' | 'memory' | 'roll'): boolean => !only || only.includes(name);

const cli = join(import.meta.dirname, 'testenv', 'cli.ts');
const alreadyUp = spawnSync(process.execPath, [cli, 'status'], { stdio: 'ignore' }).status === 0;
if (!alreadyUp && spawnSync(process.execPath, [cli, 'up'], { stdio: 'inherit' }).status !== 0)
  process.exit(1);
const env = readTestEnv();
const kube = new KubeConfig();
kube.loadFromFile(env.kubeconfig);
const custom = kube.makeApiClient(CustomObjectsApi);
const core = kube.makeApiClient(CoreV1Api);
const connection = await Connection.connect({ address: env.temporal.address });
const client = new Client({ connection, namespace: env.temporal.namespace });
const namespace = `bench-${Date.now().toString(36)}`;
const pausedSpec = {
  kafkaVersion: '4.1.1',
  paused: true,
  nodePools: [
    {
      name: 'combined',
      roles: ['controller', 'broker'],
      replicas: 3,
      zones: ['zone-a', 'zone-b', 'zone-c'],
      storage: { size: '1Gi' },
    },
  ],
};

// ---- helpers -------------------------------------------------------------

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};
const median = (values: number[]) => percentile(values, 50);
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

interface Running {
  child: ChildProcess;
  url: string;
  stop: () => Promise<void>;
}

/** Starts a keelson process and resolves once /readyz says 200, with the time that took. */
async function startProcess(
  command: 'operator' | 'watch' | 'worker',
  taskQueue: string,
): Promise<Running & { readyMs: number }> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      join(repo, 'src/main.ts'),
      command,
      `--kubeconfig=${env.kubeconfig}`,
      `--temporal-address=${env.temporal.address}`,
      `--task-queue=${taskQueue}`,
      `--namespace=${namespace}`,
      '--health-address=127.0.0.1:0',
      '--no-leader-elect',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let output = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  let url: string;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`keelson ${command} exited: ${output}`);
    const address = /"address":"([\d.]+:\d+)","msg":"serving/.exec(output)?.[1];
    if (address) {
      url = `http://${address}`;
      const ok = await fetch(`${url}/readyz`)
        .then((r) => r.status === 200)
        .catch(() => false);
      if (ok) break;
    }
    await sleep(20);
  }
  const readyMs = performance.now() - started;
  return {
    child,
    url,
    readyMs,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function residentMegabytes(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return round(Number(/^keelson_process_resident_memory_bytes (\d+)/m.exec(text)?.[1]) / 1024 / 1024, 0);
}

async function createClusters(names: string[]): Promise<void> {
  for (let i = 0; i < names.length; i += 20) {
    await Promise.all(
      names.slice(i, i + 20).map((name) =>
        custom.createNamespacedCustomObject({
          group,
          version,
          plural,
          namespace,
          body: { apiVersion, kind, metadata: { name }, spec: pausedSpec },
        }),
      ),
    );
  }
}

async function observedGenerationOf(name: string): Promise<number> {
  const object = (await custom.getNamespacedCustomObject({ group, version, plural, namespace, name })) as {
    status?: { observedGeneration?: number };
  };
  return object.status?.observedGeneration ?? 0;
}

async function observedCount(): Promise<number> {
  const list = (await custom.listNamespacedCustomObject({ group, version, plural, namespace })) as {
    items: { status?: { observedGeneration?: number }; metadata: { generation: number } }[];
  };
  return list.items.filter((c) => c.status?.observedGeneration === c.metadata.generation).length;
}

async function waitObserved(count: number): Promise<number> {
  const started = performance.now();
  while ((await observedCount()) < count) await sleep(500);
  return performance.now() - started;
}

async function deleteClusters(): Promise<void> {
  const list = (await custom.listNamespacedCustomObject({ group, version, plural, namespace })) as {
    items: { metadata: { name: string } }[];
  };
  await Promise.all(
    list.items.map((c) =>
      custom.deleteNamespacedCustomObject({ group, version, plural, namespace, name: c.metadata.name }),
    ),
  );
  for (;;) {
    const left = (await custom.listNamespacedCustomObject({ group, version, plural, namespace })) as {
      items: unknown[];
    };
    if (left.items.length === 0) return;
    await sleep(500);
  }
}

const millis = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): number =>
  Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;

// ---- the figures -----------------------------------------------------------

const figures: {
  name: string;
  unit: string;
  median?: number;
  p99?: number;
  value?: number;
  anchor: string;
  detail?: string;
}[] = [];

async function measureStartup(): Promise<void> {
  const bundle = join(repo, 'dist', 'workflow-bundle.js');
  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < settings.startups; i++) {
    // Cold: no kept bundle, as at the first start after a source change.
    rmSync(bundle, { force: true });
    const first = await startProcess('operator', `bench-start-${i}`);
    cold.push(first.readyMs);
    await first.stop();
    const second = await startProcess('operator', `bench-start-${i}`);
    warm.push(second.readyMs);
    await second.stop();
  }
  figures.push(
    {
      name: 'startup to ready, cold (workflow bundle built)',
      unit: 'ms',
      median: round(median(cold), 0),
      anchor: '.NET 3.8 s (JIT), 1.9 s (AOT); target ≤ 1 s',
    },
    {
      name: 'startup to ready, warm (bundle kept)',
      unit: 'ms',
      median: round(median(warm), 0),
      anchor: 'target ≤ 1 s',
    },
  );
}

async function measureMemory(): Promise<void> {
  for (const count of settings.clusters) {
    const operator = await startProcess('operator', `bench-mem-${count}`);
    await sleep(5_000);
    const idle = await residentMegabytes(operator.url);
    const names = Array.from({ length: count }, (_, i) => `m${count}-${i}`);
    await createClusters(names);
    const observeMs = await waitObserved(count);
    await sleep(5_000);
    const loaded = await residentMegabytes(operator.url);
    figures.push(
      { name: 'operator resident memory, idle', unit: 'MB', value: idle, anchor: 'Go 42 MB, .NET 118 MB' },
      {
        name: `operator resident memory, ${count} clusters`,
        unit: 'MB',
        value: loaded,
        anchor: 'target < 118 MB, as close to 42 MB as possible',
        detail: `${count} clusters observed ${round(observeMs / 1000)} s after creation`,
      },
    );
    await deleteClusters();
    await operator.stop();
  }
  // Watcher and worker apart, with the smallest cluster count.
  const count = settings.clusters[0] ?? 20;
  const watcher = await startProcess('watch', 'bench-apart');
  const worker = await startProcess('worker', 'bench-apart');
  await sleep(5_000);
  const [watchIdle, workerIdle] = [await residentMegabytes(watcher.url), await residentMegabytes(worker.url)];
  await createClusters(Array.from({ length: count }, (_, i) => `a${i}`));
  await waitObserved(count);
  await sleep(5_000);
  const [watchLoaded, workerLoaded] = [
    await residentMegabytes(watcher.url),
    await residentMegabytes(worker.url),
  ];
  figures.push(
    {
      name: `watcher alone, idle / ${count} clusters`,
      unit: 'MB',
      value: watchLoaded,
      anchor: 'Go 42 MB',
      detail: `idle ${watchIdle} MB`,
    },
    {
      name: `worker alone, idle / ${count} clusters`,
      unit: 'MB',
      value: workerLoaded,
      anchor: 'Go 42 MB',
      detail: `idle ${workerIdle} MB`,
    },
  );
  await deleteClusters();
  await watcher.stop();
  await worker.stop();
}

async function measureChangeToAction(): Promise<void> {
  const operator = await startProcess('operator', 'bench-latency');
  await createClusters(['latency']);
  await waitObserved(1);
  const handle = client.workflow.getHandle(clusterWorkflowId(namespace, 'latency'));
  const toSignal: number[] = [];
  const toTask: number[] = [];
  const toActivity: number[] = [];
  const total: number[] = [];
  for (let i = 0; i < settings.updates; i++) {
    const before = Date.now();
    const patched = (await custom.patchNamespacedCustomObject({
      group,
      version,
      plural,
      namespace,
      name: 'latency',
      body: [{ op: 'replace', path: '/spec/rollout/delayBetweenRestarts', value: `${(i % 50) + 1}s` }],
    })) as { metadata: { generation: number } };
    const generation = patched.metadata.generation;
    // When the update was sent (the same clock as Temporal's event times: one machine).
    const changedAt = before;
    for (;;) {
      const events = (await handle.fetchHistory()).events ?? [];
      const signalIndex = events.findIndex((e) => {
        const a = e.workflowExecutionSignaledEventAttributes;
        if (a?.signalName !== 'spec') return false;
        const payload = JSON.parse(
          Buffer.from(a.input?.payloads?.[0]?.data ?? new Uint8Array()).toString(),
        ) as { generation: number };
        return payload.generation === generation;
      });
      const later = signalIndex >= 0 ? events.slice(signalIndex + 1) : [];
      const task = later.find((e) => e.workflowTaskStartedEventAttributes);
      const activity = later.find((e) => e.activityTaskStartedEventAttributes);
      if (signalIndex >= 0 && task && activity) {
        const signalAt = millis(events[signalIndex]?.eventTime);
        toSignal.push(signalAt - changedAt);
        toTask.push(millis(task.eventTime) - signalAt);
        toActivity.push(millis(activity.eventTime) - millis(task.eventTime));
        total.push(millis(activity.eventTime) - changedAt);
        break;
      }
      await sleep(10);
    }
    // The next update only once this pass has finished, so that each is measured on its own.
    while ((await observedGenerationOf('latency')) < generation) await sleep(10);
  }
  figures.push(
    {
      name: `change-to-action, ${settings.updates} updates`,
      unit: 'ms',
      median: round(median(total)),
      p99: round(percentile(total, 99)),
      anchor: 'Go 82 ms, .NET 136 ms (average); target p50 ≤ 50, p99 ≤ 250',
    },
    {
      name: '  hop: update → spec signal recorded (watcher)',
      unit: 'ms',
      median: round(median(toSignal)),
      p99: round(percentile(toSignal, 99)),
      anchor: '',
    },
    {
      name: '  hop: signal → workflow task started',
      unit: 'ms',
      median: round(median(toTask)),
      p99: round(percentile(toTask, 99)),
      anchor: '',
    },
    {
      name: '  hop: workflow task → first activity started',
      unit: 'ms',
      median: round(median(toActivity)),
      p99: round(percentile(toActivity, 99)),
      anchor: '',
    },
  );
  await handle.terminate('bench finished').catch(() => undefined);
  await deleteClusters();
  await operator.stop();
}

async function clusterReady(name: string, generation: number): Promise<void> {
  for (;;) {
    const object = (await custom.getNamespacedCustomObject({ group, version, plural, namespace, name })) as {
      status?: { observedGeneration?: number; conditions?: { type: string; status: string }[] };
    };
    const ready = object.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    if (ready && (object.status?.observedGeneration ?? 0) >= generation) return;
    await sleep(1_000);
  }
}

async function measureRollOverhead(brokers: number): Promise<void> {
  const operator = await startProcess('operator', `bench-roll-${brokers}`);
  try {
    await rollOverhead(brokers);
  } finally {
    // Torn down by the operator (the finalizer is its), so before it stops.
    await deleteClusters();
    await operator.stop();
  }
}

async function rollOverhead(brokers: number): Promise<void> {
  const name = `roll${brokers}`;
  await custom.createNamespacedCustomObject({
    group,
    version,
    plural,
    namespace,
    body: {
      apiVersion,
      kind,
      metadata: { name },
      spec: { ...pausedSpec, paused: false, nodePools: [{ ...pausedSpec.nodePools[0], replicas: brokers }] },
    },
  });
  await clusterReady(name, 1);
  const pods = await core.listNamespacedPod({ namespace, labelSelector: `keelson.dev/cluster=${name}` });
  const bootstrap = pods.items.map((p) => `${p.status?.podIP}:9092`);
  // A topic under data, so each restarted broker has something to catch up on.
  const admin = new Admin({ clientId: 'keelson-bench', bootstrapBrokers: bootstrap });
  await admin.createTopics({ topics: ['load'], partitions: 12, replicas: 3 });
  await sleep(2_000);
  const producer = new Producer({ clientId: 'keelson-bench', bootstrapBrokers: bootstrap });
  for (let batch = 0; batch < 100; batch++) {
    await producer.send({
      acks: ProduceAcks.ALL,
      messages: Array.from({ length: 200 }, (_, i) => ({
        topic: 'load',
        key: Buffer.from(String(batch * 200 + i)),
        value: Buffer.alloc(1024, i),
      })),
    });
  }
  await producer.close();

  // Which nodes are in every ISR they belong to, sampled every 200 ms through the roll.
  const samples: { at: number; inSync: Set<number> }[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const at = Date.now();
      const metadata = await admin.metadata({ topics: ['load'], forceUpdate: true }).catch(() => undefined);
      const partitions = metadata?.topics.get('load')?.partitions ?? [];
      if (partitions.length > 0) {
        const ids = [...new Set(partitions.flatMap((p) => p.replicas))];
        samples.push({
          at,
          inSync: new Set(
            ids.filter((id) => partitions.every((p) => !p.replicas.includes(id) || p.isr.includes(id))),
          ),
        });
      }
      await sleep(200);
    }
  })();

  const handle = client.workflow.getHandle(clusterWorkflowId(namespace, name));
  await handle.executeUpdate(rollUpdate, { args: [{ reason: 'benchmark' }] });
  let rollId: string;
  for (;;) {
    const object = (await custom.getNamespacedCustomObject({ group, version, plural, namespace, name })) as {
      status?: { lastOperation?: { type: string; workflowId: string; result: string } };
    };
    const last = object.status?.lastOperation;
    if (last?.type === 'roll' && last.workflowId.includes('forced')) {
      if (last.result !== 'Succeeded') throw new Error(`the benchmark roll ended ${last.result}`);
      rollId = last.workflowId;
      break;
    }
    await sleep(500);
  }
  sampling = false;
  await sampler;
  await admin.close();

  const events = (await client.workflow.getHandle(rollId).fetchHistory()).events ?? [];
  const startedAt = millis(events[0]?.eventTime);
  const endedAt = millis(events.at(-1)?.eventTime);
  const own: number[] = [];
  for (const scheduled of events.filter(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'restartNode',
  )) {
    const input = JSON.parse(
      Buffer.from(
        scheduled.activityTaskScheduledEventAttributes?.input?.payloads?.[0]?.data ?? [],
      ).toString(),
    ) as { pod: { metadata: { labels: Record<string, string> } } };
    const nodeId = Number(input.pod.metadata.labels['keelson.dev/node-id']);
    const completed = events.find(
      (e) =>
        Number(e.activityTaskCompletedEventAttributes?.scheduledEventId ?? -1) === Number(scheduled.eventId),
    );
    const back = samples.find((s) => s.at >= millis(completed?.eventTime) && s.inSync.has(nodeId));
    own.push((back?.at ?? endedAt) - millis(scheduled.eventTime));
  }
  const total = endedAt - startedAt;
  const ownTotal = own.reduce((a, b) => a + b, 0);
  figures.push({
    name: `roll overhead, ${brokers} brokers`,
    unit: 's per broker',
    value: round((total - ownTotal) / brokers / 1000),
    anchor: 'target ≤ 3 s per broker',
    detail: `roll ${round(total / 1000)} s; brokers' own restart + catch-up ${round(ownTotal / 1000)} s (median ${round(median(own) / 1000)} s each, ${own.length} restarts)`,
  });
}

// ---- run ---------------------------------------------------------------------

await core.createNamespace({ body: { metadata: { name: namespace } } });
spawnSync(env.kubectl, [`--kubeconfig=${env.kubeconfig}`, 'apply', '-f', join(repo, 'deploy/crds')], {
  stdio: 'ignore',
});
try {
  if (part('startup')) await measureStartup();
  if (part('latency')) await measureChangeToAction();
  if (part('memory')) await measureMemory();
  if (part('roll')) for (const brokers of settings.rolls) await measureRollOverhead(brokers);
} finally {
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  await connection.close();
  if (!alreadyUp) spawnSync(process.execPath, [cli, 'down'], { stdio: 'inherit' });
}

const nodeVersion = process.version;
const packageLock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string }>;
};
const result = {
  at: new Date().toISOString(),
  mode: quick ? 'quick' : 'full',
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: round(totalmem() / 2 ** 30) },
  versions: {
    node: nodeVersion,
    kubernetes: env.kubernetesVersion,
    temporalSdk: packageLock.packages['node_modules/@temporalio/worker']?.version,
    kubernetesClient: packageLock.packages['node_modules/@kubernetes/client-node']?.version,
  },
  figures,
};
const dir = join(repo, 'bench', 'results');
mkdirSync(dir, { recursive: true });
const file = join(dir, `${result.at.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);

const rows = figures.map((f) => [
  f.name,
  f.median !== undefined ? `${f.median} ${f.unit}` : `${f.value} ${f.unit}`,
  f.p99 !== undefined ? `${f.p99} ${f.unit}` : '',
  f.anchor,
  f.detail ?? '',
]);
const header = ['figure', 'median / value', 'p99', 'compared to', 'detail'];
console.log(
  `Keelson benchmark (${result.mode}) on ${result.machine.cpus} × ${result.machine.cpuModel}, ${result.machine.memoryGiB} GiB; Node ${nodeVersion}, Kubernetes ${env.kubernetesVersion}, Temporal SDK ${result.versions.temporalSdk}`,
);
console.log(`| ${header.join(' | ')} |\n|${header.map(() => ' --- ').join('|')}|`);
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
console.log(`\nwritten to ${file}`);
