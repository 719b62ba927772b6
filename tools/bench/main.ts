// `npm run bench` (`-- --quick` for a short run): measures the operator on the
// local environment (started for the run if it is not up) and writes
// bench/results/<timestamp>.json, printing a table of each figure with the
// anchor it is compared to (the published Go and .NET operator figures,
// see the README). The parts, each in its own file here: startup, change-to-action
// latency, memory, roll overhead (full mode), operations under faults and
// recovery (full mode), 1,000 KafkaTopics (full mode), the soak: 1,000 operations under
// scheduled faults (full mode). Apart from the rolls, the fault run and the soak, the
// KafkaClusters are paused (no broker runs): those figures are the
// operator's own. `--only=startup,latency,memory,roll,faults,topics,soak` runs some parts.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { openBench, repo, round, type Figure, type Settings } from './context.ts';
import { measureFaults } from './faults.ts';
import { measureChangeToAction } from './latency.ts';
import { measureMemory } from './memory.ts';
import { measureRollOverhead } from './roll-overhead.ts';
import { measureSoak } from './soak.ts';
import { measureStartup } from './startup.ts';
import { measureTopics } from './topics.ts';
import { histogramSvg, lineChartSvg, timelineSvg } from '../../src/cli/svg-charts.ts';

const parts = ['startup', 'latency', 'memory', 'roll', 'faults', 'topics', 'soak'] as const;
const quick = process.argv.includes('--quick');
const settings: Settings = quick
  ? {
      updates: 10,
      clusters: [10],
      startups: 1,
      rolls: [],
      faultRounds: 0,
      topics: 0,
      soak: { operations: 0, rolls: 0 },
      heapSnapshots: false,
    }
  : {
      updates: 200,
      clusters: [100, 1000],
      startups: 5,
      rolls: [3, 5],
      faultRounds: 2,
      topics: 1000,
      soak: { operations: 1000, rolls: 20 },
      heapSnapshots: true,
    };
// `--clusters=100,1000`: the cluster counts of the memory part (a shorter run while working on memory).
const clustersOption = process.argv.find((a) => a.startsWith('--clusters='));
if (clustersOption) {
  const counts = clustersOption.slice('--clusters='.length).split(',').map(Number);
  if (counts.some((n) => !Number.isInteger(n) || n < 1 || n > 10_000)) {
    console.error('bench: --clusters takes whole numbers from 1 to 10000, separated by commas');
    process.exit(2);
  }
  settings.clusters = counts;
}
// `--soak=N`: the soak with N operations (and N / 50 rolls, at least 2) instead of 1,000.
const soakOption = process.argv.find((a) => a.startsWith('--soak='));
if (soakOption) {
  const operations = Number(soakOption.slice('--soak='.length));
  if (!Number.isInteger(operations) || operations < 1) {
    console.error('bench: --soak takes a whole number of operations');
    process.exit(2);
  }
  settings.soak = { operations, rolls: Math.max(2, Math.floor(operations / 50)) };
}
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const unknown = only?.filter((p) => !(parts as readonly string[]).includes(p)) ?? [];
if (unknown.length > 0) {
  console.error(`bench: unknown part ${unknown.join(', ')}; the parts are ${parts.join(', ')}`);
  process.exit(2);
}
const part = (name: (typeof parts)[number]): boolean => !only || only.includes(name);

const cli = join(repo, 'tools', 'testenv', 'cli.ts');
const alreadyUp = spawnSync(process.execPath, [cli, 'status'], { stdio: 'ignore' }).status === 0;
if (!alreadyUp && spawnSync(process.execPath, [cli, 'up'], { stdio: 'inherit' }).status !== 0)
  process.exit(1);
const bench = await openBench(settings);

const figures: Figure[] = [];
await bench.core.createNamespace({ body: { metadata: { name: bench.namespace } } });
spawnSync(
  bench.env.kubectl,
  [`--kubeconfig=${bench.env.kubeconfig}`, 'apply', '-f', join(repo, 'deploy/helm/keelson/crds')],
  {
    stdio: 'ignore',
  },
);
try {
  if (part('startup')) figures.push(...(await measureStartup(bench)));
  if (part('latency')) figures.push(...(await measureChangeToAction(bench)));
  if (part('memory')) figures.push(...(await measureMemory(bench)));
  if (part('roll'))
    for (const brokers of settings.rolls) figures.push(await measureRollOverhead(bench, brokers));
  if (part('faults') && settings.faultRounds > 0) figures.push(...(await measureFaults(bench)));
  if (part('topics') && settings.topics > 0) figures.push(...(await measureTopics(bench, settings.topics)));
  if (part('soak') && settings.soak.operations > 0) figures.push(...(await measureSoak(bench)));
} finally {
  await bench.core.deleteNamespace({ name: bench.namespace }).catch(() => undefined);
  await bench.connection.close();
  if (!alreadyUp) spawnSync(process.execPath, [cli, 'down'], { stdio: 'inherit' });
}

const packageLock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string }>;
};
const result = {
  at: new Date().toISOString(),
  mode: quick ? 'quick' : 'full',
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: round(totalmem() / 2 ** 30) },
  versions: {
    node: process.version,
    kubernetes: bench.env.kubernetesVersion,
    temporalSdk: packageLock.packages['node_modules/@temporalio/worker']?.version,
    kubernetesClient: packageLock.packages['node_modules/@kubernetes/client-node']?.version,
  },
  figures,
};
const dir = join(repo, 'bench', 'results');
mkdirSync(dir, { recursive: true });
const file = join(dir, `${result.at.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);

// Charts next to the JSON: the change-to-action distribution, memory against clusters, each roll.
const base = file.slice(0, -'.json'.length);
const charts: string[] = [];
const chart = (suffix: string, svg: string) => {
  writeFileSync(`${base}-${suffix}.svg`, svg);
  charts.push(`${base}-${suffix}.svg`);
};
const latency = figures.find((f) => f.samples && f.name.startsWith('change-to-action,'));
if (latency?.samples)
  chart('latency', histogramSvg('Change-to-action: update stored → first activity', latency.samples, 'ms'));
const idle = figures.find((f) => f.name === 'operator resident memory, idle')?.value;
const memory = figures.flatMap((f) => {
  const count = /^operator resident memory, (\d+) clusters$/.exec(f.name)?.[1];
  return count !== undefined && f.value !== undefined ? [[Number(count), f.value] as const] : [];
});
if (idle !== undefined && memory.length > 0)
  chart(
    'memory',
    lineChartSvg('keelson operator resident memory', [[0, idle], ...memory], 'KafkaClusters', 'MB'),
  );
for (const f of figures)
  if (f.timeline) chart(f.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase(), timelineSvg(f.name, f.timeline));

const rows = figures.map((f) => [
  f.name,
  f.median !== undefined ? `${f.median} ${f.unit}` : `${f.value} ${f.unit}`,
  f.p99 !== undefined ? `${f.p99} ${f.unit}` : '',
  f.anchor,
  f.detail ?? '',
]);
const header = ['figure', 'median / value', 'p99', 'compared to', 'detail'];
console.log(
  `Keelson benchmark (${result.mode}) on ${result.machine.cpus} × ${result.machine.cpuModel}, ${result.machine.memoryGiB} GiB; Node ${process.version}, Kubernetes ${bench.env.kubernetesVersion}, Temporal SDK ${result.versions.temporalSdk}`,
);
console.log(`| ${header.join(' | ')} |\n|${header.map(() => ' --- ').join('|')}|`);
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
console.log(`\nwritten to ${file}${charts.length ? ` and ${charts.join(', ')}` : ''}`);
