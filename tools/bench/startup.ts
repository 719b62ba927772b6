// Startup: `keelson operator` from process start to /readyz 200 (worker
// polling, watcher listed), cold (no kept workflow bundle and no compile
// cache, as at the first start after an install or a source change) and warm
// (both kept from the start before).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { compileCache, median, repo, round, startProcess, type Bench, type Figure } from './context.ts';

export async function measureStartup(bench: Bench): Promise<Figure[]> {
  const bundle = join(repo, 'dist', 'workflow-bundle.js');
  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < bench.settings.startups; i++) {
    rmSync(bundle, { force: true });
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
      name: 'startup to ready, cold (workflow bundle built, no compile cache)',
      unit: 'ms',
      median: round(median(cold), 0),
      anchor: '.NET 3.8 s (JIT), 1.9 s (AOT); target ≤ 1 s',
    },
    {
      name: 'startup to ready, warm (bundle and compile cache kept)',
      unit: 'ms',
      median: round(median(warm), 0),
      anchor: 'target ≤ 1 s',
    },
  ];
}
