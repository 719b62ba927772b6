// Resident memory of `keelson operator` idle and with N managed (paused)
// KafkaClusters, with the time from creating N clusters at once until every
// one is observed by its workflow; then, at the largest N, `keelson watch`
// beside two `keelson worker` replicas on one task queue: the watcher's own
// memory, each worker's memory per cluster, and whether a second worker
// shortens the time to observe them all.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { residentOf, snapshotHeaps, type HeapSummary, type ResidentBreakdown } from './heap-snapshots.ts';
import {
  createClusters,
  deleteClusters,
  residentMegabytes,
  round,
  startProcess,
  waitObserved,
  repo,
  type Bench,
  type Figure,
} from './context.ts';

const megabytes = (bytes: number): number => round(bytes / 1024 / 1024, 1);

/** A thread's heap as a figure: its size, and what takes the most of it. */
const heapFigure = (count: number, heap: HeapSummary): Figure => ({
  name: `operator ${heap.thread === 'main' ? 'main thread' : `${heap.thread} thread (workflows)`} heap snapshot, ${count} clusters`,
  unit: 'MB',
  value: megabytes(heap.totalBytes),
  anchor: '',
  detail: [
    `by kind: ${heap.byType
      .slice(0, 6)
      .map((t) => `${t.type} ${megabytes(t.bytes)}`)
      .join(', ')}`,
    `largest: ${heap.top
      .slice(0, 8)
      .map((t) => `${t.type} ${JSON.stringify(t.name.slice(0, 30))} ${megabytes(t.bytes)} (${t.count})`)
      .join(', ')}`,
    `file ${heap.file}`,
  ].join('; '),
});

/** The resident memory by origin: code mapped from files, the V8 heaps, and the native rest. */
const residentFigure = (count: number, resident: ResidentBreakdown, heaps: HeapSummary[]): Figure => {
  const v8 = heaps.reduce((sum, heap) => sum + heap.committedBytes, 0);
  const named = (pattern: RegExp) =>
    resident.files.filter((f) => pattern.test(f.file)).reduce((sum, f) => sum + f.bytes, 0);
  const node = named(/\/bin\/node$/);
  const core = named(/\.node$/);
  const otherFiles = resident.files.reduce((sum, f) => sum + f.bytes, 0) - node - core;
  return {
    name: `operator resident memory by origin, ${count} clusters`,
    unit: 'MB',
    value: megabytes(resident.total),
    anchor: '',
    detail: [
      `mapped from files ${megabytes(node + core + otherFiles)} (the node binary ${megabytes(node)}, native add-ons ${megabytes(core)}, others ${megabytes(otherFiles)})`,
      `anonymous ${megabytes(resident.anonymous)}: V8 heaps committed ${megabytes(v8)} (${heaps
        .map((h) => `${h.thread} ${megabytes(h.committedBytes)}`)
        .join(', ')}, after the snapshots' collection), native ${megabytes(resident.anonymous - v8)}`,
    ].join('; '),
  };
};

const heapSnapshotPrefix = (count: number): string => {
  const dir = join(repo, 'bench', 'results', 'heap');
  mkdirSync(dir, { recursive: true });
  return join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-operator-${count}`);
};

export async function measureMemory(bench: Bench): Promise<Figure[]> {
  const figures: Figure[] = [];
  const observedIn = new Map<number, number>();
  for (const count of bench.settings.clusters) {
    const operator = await startProcess(bench, 'operator', `bench-mem-${count}`);
    await sleep(5_000);
    const idle = await residentMegabytes(operator.url);
    await createClusters(
      bench,
      Array.from({ length: count }, (_, i) => `m${count}-${i}`),
    );
    const observeMs = await waitObserved(bench, count);
    observedIn.set(count, observeMs);
    await sleep(5_000);
    const loaded = await residentMegabytes(operator.url);
    const analysed = bench.settings.heapSnapshots && count === bench.settings.clusters.at(-1);
    const resident = analysed ? residentOf(operator.child.pid ?? 0) : undefined;
    const heaps = analysed ? await snapshotHeaps(operator.child.pid ?? 0, heapSnapshotPrefix(count)) : [];
    figures.push(
      { name: 'operator resident memory, idle', unit: 'MB', value: idle, anchor: 'Go 42 MB, .NET 118 MB' },
      {
        name: `operator resident memory, ${count} clusters`,
        unit: 'MB',
        value: loaded,
        anchor: 'target < 118 MB, as close to 42 MB as possible',
        detail: `${round((loaded - idle) / count, 2)} MB per cluster over idle`,
      },
      {
        name: `${count} clusters created at once → all observed, one worker (the operator's)`,
        unit: 's',
        value: round(observeMs / 1000),
        anchor: count >= 1000 ? 'target ≤ 60 s' : '',
      },
    );
    if (resident) figures.push(residentFigure(count, resident, heaps));
    figures.push(...heaps.map((heap) => heapFigure(count, heap)));
    await deleteClusters(bench);
    await operator.stop();
  }

  // The largest count again, with the watcher and two worker replicas as processes of their own.
  const count = bench.settings.clusters.at(-1) ?? 20;
  const taskQueue = 'bench-apart';
  const watcher = await startProcess(bench, 'watch', taskQueue);
  const workers = [
    await startProcess(bench, 'worker', taskQueue),
    await startProcess(bench, 'worker', taskQueue),
  ];
  await sleep(5_000);
  const watchIdle = await residentMegabytes(watcher.url);
  const workersIdle = await Promise.all(workers.map((w) => residentMegabytes(w.url)));
  await createClusters(
    bench,
    Array.from({ length: count }, (_, i) => `a${i}`),
  );
  const observeMs = await waitObserved(bench, count);
  await sleep(5_000);
  const watchLoaded = await residentMegabytes(watcher.url);
  const workersLoaded = await Promise.all(workers.map((w) => residentMegabytes(w.url)));
  const perCluster =
    (workersLoaded.reduce((a, b) => a + b, 0) - workersIdle.reduce((a, b) => a + b, 0)) / count;
  const oneWorker = observedIn.get(count);
  figures.push(
    {
      name: `watcher alone, ${count} clusters`,
      unit: 'MB',
      value: watchLoaded,
      anchor: 'target ≤ 100 MB',
      detail: `idle ${watchIdle} MB`,
    },
    {
      name: 'worker memory per additional cluster',
      unit: 'MB',
      value: round(perCluster, 2),
      anchor: 'target ≤ 0.2 MB',
      detail: `two workers: idle ${workersIdle.join(' / ')} MB, with ${count} clusters ${workersLoaded.join(' / ')} MB`,
    },
    {
      name: `${count} clusters created at once → all observed, two workers`,
      unit: 's',
      value: round(observeMs / 1000),
      anchor: oneWorker !== undefined ? `one worker: ${round(oneWorker / 1000)} s` : '',
    },
  );
  await deleteClusters(bench);
  await watcher.stop();
  for (const worker of workers) await worker.stop();
  return figures;
}
