// What every part of the benchmark shares: the environment's clients, the
// namespace the run works in, keelson processes started for a measurement,
// and the statistics and figures the run reports.
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { Client, Connection } from '@temporalio/client';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiVersion, group, kind, plural, version } from '../../src/crd/kafka-cluster.ts';
import { nodeFlags, processEnvironment } from '../../src/operator/node-flags.ts';
import { readTestEnv, type TestEnv } from '../testenv/src/env.ts';

export const repo = join(import.meta.dirname, '..', '..');
/** Where the keelson processes of a run keep Node's compile cache (emptied for a cold start). */
export const compileCache = join(tmpdir(), 'keelson-bench-compile-cache');

export interface Figure {
  name: string;
  unit: string;
  median?: number;
  p99?: number;
  value?: number;
  anchor: string;
  detail?: string;
  /** Every sample, for the distribution chart (change-to-action). */
  samples?: number[];
  /** Steps along time, for a timeline chart (a roll's restarts). */
  timeline?: { label: string; start: number; end: number }[];
}

export interface Settings {
  updates: number;
  clusters: number[];
  startups: number;
  rolls: number[];
  /** Rounds of the fault run (each: a roll under a worker kill, a config change across an API server restart, a roll under a broker kill); 0 skips it. */
  faultRounds: number;
  /** KafkaTopics applied at once to one running cluster; 0 skips it. */
  topics: number;
  /** The soak: operations to complete under faults, of them rolls at least; 0 operations skips it. */
  soak: { operations: number; rolls: number };
  /** Heap snapshots of the operator's threads at the largest cluster count (full mode). */
  heapSnapshots: boolean;
}

export interface Bench {
  env: TestEnv;
  custom: CustomObjectsApi;
  core: CoreV1Api;
  client: Client;
  connection: Connection;
  namespace: string;
  settings: Settings;
}

export async function openBench(settings: Settings): Promise<Bench> {
  const env = readTestEnv();
  const kube = new KubeConfig();
  kube.loadFromFile(env.kubeconfig);
  const connection = await Connection.connect({ address: env.temporal.address });
  return {
    env,
    custom: kube.makeApiClient(CustomObjectsApi),
    core: kube.makeApiClient(CoreV1Api),
    client: new Client({ connection, namespace: env.temporal.namespace }),
    connection,
    namespace: `bench-${Date.now().toString(36)}`,
    settings,
  };
}

export const pausedSpec = {
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

// ---- statistics ------------------------------------------------------------

export const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};
export const median = (values: number[]) => percentile(values, 50);
export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** A Temporal event time in ms since the epoch (one machine: the same clock as Date.now()). */
export const millis = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): number =>
  Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;

// ---- keelson processes -----------------------------------------------------

export interface Running {
  child: ChildProcess;
  url: string;
  readyMs: number;
  stop: () => Promise<void>;
  kill: () => Promise<void>;
}

/** Where a process connects (the soak puts proxies in between) and where its log goes. */
export interface ProcessOptions {
  kubeconfig?: string;
  temporalAddress?: string;
  /** Appends the process's log (stderr) here; without it only the start is kept, for errors. */
  logFile?: string;
}

/** Starts a keelson process and resolves once /readyz says 200, with the time that took. */
export async function startProcess(
  bench: Bench,
  command: 'operator' | 'watch' | 'worker',
  taskQueue: string,
  options: ProcessOptions = {},
): Promise<Running> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      ...nodeFlags,
      join(repo, 'src/main.ts'),
      command,
      `--kubeconfig=${options.kubeconfig ?? bench.env.kubeconfig}`,
      `--temporal-address=${options.temporalAddress ?? bench.env.temporal.address}`,
      `--task-queue=${taskQueue}`,
      `--namespace=${bench.namespace}`,
      '--health-address=127.0.0.1:0',
      '--no-leader-elect',
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...processEnvironment, NODE_COMPILE_CACHE: compileCache },
    },
  );
  let output = '';
  const log = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    if (output.length < 1_000_000) output += chunk;
    log?.write(chunk);
  });
  child.once('exit', () => log?.end());
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
  const ended = (signal: NodeJS.Signals) => async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  };
  return { child, url, readyMs, stop: ended('SIGTERM'), kill: ended('SIGKILL') };
}

export async function residentMegabytes(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return round(Number(/^keelson_process_resident_memory_bytes (\d+)/m.exec(text)?.[1]) / 1024 / 1024, 0);
}

// ---- KafkaClusters -----------------------------------------------------------

interface ClusterObject {
  metadata: { name: string; generation: number };
  spec: Record<string, unknown>;
  status?: {
    observedGeneration?: number;
    conditions?: { type: string; status: string }[];
    currentOperation?: { type: string; workflowId: string; step: string; node?: string };
    lastOperation?: { type: string; workflowId: string; result: string; message?: string };
  };
}

export async function readCluster(bench: Bench, name: string): Promise<ClusterObject> {
  const { custom, namespace } = bench;
  return (await custom.getNamespacedCustomObject({
    group,
    version,
    plural,
    namespace,
    name,
  })) as ClusterObject;
}

export async function createCluster(bench: Bench, name: string, spec: object): Promise<void> {
  const { custom, namespace } = bench;
  await custom.createNamespacedCustomObject({
    group,
    version,
    plural,
    namespace,
    body: { apiVersion, kind, metadata: { name }, spec },
  });
}

export async function createClusters(bench: Bench, names: string[]): Promise<void> {
  for (let i = 0; i < names.length; i += 20) {
    await Promise.all(names.slice(i, i + 20).map((name) => createCluster(bench, name, pausedSpec)));
  }
}

/** Applies a JSON patch to a KafkaCluster; returns its new generation. */
export async function patchCluster(bench: Bench, name: string, patch: object[]): Promise<number> {
  const { custom, namespace } = bench;
  const patched = (await custom.patchNamespacedCustomObject({
    group,
    version,
    plural,
    namespace,
    name,
    body: patch,
  })) as ClusterObject;
  return patched.metadata.generation;
}

/**
 * A patch, asked again while the API server does not answer (a fault restarted it);
 * a refusal (4xx) is the bench's own mistake and is thrown at once.
 */
export async function patchWhenAnswered(
  bench: Bench,
  name: string,
  patch: object[],
  { tries, intervalMs }: { tries: number; intervalMs: number },
): Promise<number> {
  for (let tried = 0; ; tried++) {
    try {
      return await patchCluster(bench, name, patch);
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (tried >= tries || (code !== undefined && code >= 400 && code < 500)) throw err;
      await sleep(intervalMs);
    }
  }
}

async function observedCount(bench: Bench): Promise<number> {
  const { custom, namespace } = bench;
  const list = (await custom.listNamespacedCustomObject({ group, version, plural, namespace })) as {
    items: ClusterObject[];
  };
  return list.items.filter((c) => c.status?.observedGeneration === c.metadata.generation).length;
}

export async function waitObserved(bench: Bench, count: number): Promise<number> {
  const started = performance.now();
  while ((await observedCount(bench)) < count) await sleep(500);
  return performance.now() - started;
}

/** Resolves once the cluster is Ready at `generation` or later. */
export async function clusterReady(bench: Bench, name: string, generation: number): Promise<void> {
  for (;;) {
    const object = await readCluster(bench, name);
    const ready = object.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    if (ready && (object.status?.observedGeneration ?? 0) >= generation) return;
    await sleep(1_000);
  }
}

export async function deleteClusters(bench: Bench): Promise<void> {
  const { custom, namespace } = bench;
  const list = (await custom.listNamespacedCustomObject({ group, version, plural, namespace })) as {
    items: ClusterObject[];
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
