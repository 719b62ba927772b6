// Startup: `keelson operator` from process start to /readyz 200 (worker
// polling, watcher listed). Cold is the image's first start: the workflow
// bundle is there (the image builds it, `keelson bundle`) and Node's compile
// cache is empty. Warm keeps the compile cache of the start before (a
// restarted container with a writable cache directory). Apart from them, the
// first start after a source change, which builds the bundle itself.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { compileCache, median, repo, round, startProcess, type Bench, type Figure } from './context.ts';

export async function measureStartup(bench: Bench): Promise<Figure[]> {
  const bundle = join(repo, 'dist', 'workflow-bundle.js');
  const rebuilt: number[] = [];
  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < bench.settings.startups; i++) {
    rmSync(bundle, { force: true });
    rmSync(compileCache, { recursive: true, force: true });
    const building = await startProcess(bench, 'operator', `bench-start-${i}`);
    rebuilt.push(building.readyMs);
    await building.stop();
    rmSync(compileCache, { recursive: true, force: true });
    const first = await startProcess(bench, 'operator', `bench-start-${i}`);
    cold.push(first.readyMs);
    await first.stop();
    const second = await startProcess(bench, 'operator', `bench-start-${i}`);
    warm.push(second.readyMs);
    await second.stop();
  }
  return [
    {
      name: 'startup to ready, cold (as the image starts: bundle built in, no compile cache)',
      unit: 'ms',
      median: round(median(cold), 0),
      anchor: '.NET 3.8 s (JIT), 1.9 s (AOT); target ≤ 2 s',
    },
    {
      name: 'startup to ready, warm (compile cache kept)',
      unit: 'ms',
      median: round(median(warm), 0),
      anchor: 'target ≤ 1 s',
    },
    {
      name: 'startup to ready after a source change (builds the workflow bundle)',
      unit: 'ms',
      median: round(median(rebuilt), 0),
      anchor: '',
    },
  ];
}
