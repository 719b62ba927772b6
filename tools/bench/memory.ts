// Resident memory of `keelson operator` idle and with N managed (paused)
// KafkaClusters, and of `keelson watch` and `keelson worker` apart.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createClusters,
  deleteClusters,
  residentMegabytes,
  round,
  startProcess,
  waitObserved,
  type Bench,
  type Figure,
} from './context.ts';

export async function measureMemory(bench: Bench): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const count of bench.settings.clusters) {
    const operator = await startProcess(bench, 'operator', `bench-mem-${count}`);
    await sleep(5_000);
    const idle = await residentMegabytes(operator.url);
    await createClusters(
      bench,
      Array.from({ length: count }, (_, i) => `m${count}-${i}`),
    );
    const observeMs = await waitObserved(bench, count);
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
    await deleteClusters(bench);
    await operator.stop();
  }
  // Watcher and worker apart, with the smallest cluster count.
  const count = bench.settings.clusters[0] ?? 20;
  const watcher = await startProcess(bench, 'watch', 'bench-apart');
  const worker = await startProcess(bench, 'worker', 'bench-apart');
  await sleep(5_000);
  const [watchIdle, workerIdle] = [await residentMegabytes(watcher.url), await residentMegabytes(worker.url)];
  await createClusters(
    bench,
    Array.from({ length: count }, (_, i) => `a${i}`),
  );
  await waitObserved(bench, count);
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
  await deleteClusters(bench);
  await watcher.stop();
  await worker.stop();
  return figures;
}
