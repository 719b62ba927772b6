// `npm run testenv -- up | down | status | build`: the local environment the
// tests and the demo run on. See tools/testenv/README.md.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureTools, kafkaVersions, kubectlBin, kubernetesVersion, temporalBin } from './src/build.ts';
import type { TestEnv } from './src/env.ts';
import { apiGet, apiServerUrl, startKubernetes } from './src/kube.ts';
import { agentDir, envFile, kubeconfigPath, repoRoot, stateDir } from './src/paths.ts';
import { createPki } from './src/pki.ts';
import { nodeNameForZone, outageAnnotation } from './node-agent/nodes.ts';
import {
  daemonNames,
  daemonPid,
  startDaemon,
  stopDaemon,
  stopProcessGroup,
  waitFor,
} from './src/processes.ts';
import { startObjectStore } from './src/object-store.ts';
import { startTemporal, temporalAddress, temporalNamespace, temporalUiUrl } from './src/temporal.ts';

const zones = ['zone-a', 'zone-b', 'zone-c'];
const daemons = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'temporal',
  'object-store',
  'node-agent',
];
// Stop order: the agent first (it stops the brokers), the API server before etcd.
const stopOrder = [
  'node-agent',
  'kube-controller-manager',
  'kube-apiserver',
  'etcd',
  'temporal',
  'object-store',
];

function running(): string[] {
  return daemons.filter((name) => daemonPid(name) !== undefined);
}

/** Processes left behind whose command line points into the state directory (e.g. orphaned brokers). */
function strayProcesses(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(stateDir)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

async function down(): Promise<void> {
  for (const name of stopOrder) {
    if (await stopDaemon(name, name === 'node-agent' ? 30_000 : 10_000))
      console.error(`testenv: stopped ${name}`);
  }
  for (const name of daemonNames()) await stopDaemon(name);
  for (const pid of strayProcesses()) await stopProcessGroup(pid, 2_000);
  rmSync(envFile, { force: true });
}

async function up(): Promise<TestEnv> {
  if (running().length === daemons.length && existsSync(envFile)) {
    console.error('testenv: already up');
    return JSON.parse(readFileSync(envFile, 'utf8')) as TestEnv;
  }
  if (running().length > 0 || strayProcesses().length > 0) {
    console.error('testenv: partly up; stopping what runs before starting again');
    await down();
  }
  await ensureTools();
  const started = Date.now();
  rmSync(stateDir, { recursive: true, force: true });
  mkdirSync(stateDir, { recursive: true });
  createPki();
  const [, , objectStore] = await Promise.all([startKubernetes(), startTemporal(), startObjectStore()]);
  mkdirSync(agentDir, { recursive: true });
  const agentPid = startDaemon({
    name: 'node-agent',
    command: process.execPath,
    args: [
      join(repoRoot, 'tools/testenv/node-agent/main.ts'),
      `--kubeconfig=${kubeconfigPath}`,
      `--state-dir=${agentDir}`,
      `--zones=${zones.join(',')}`,
    ],
  });
  await waitFor(
    'the node agent to register its nodes',
    async () => {
      const res = await apiGet('/api/v1/nodes');
      const nodes = (
        JSON.parse(res.body) as { items?: { status?: { conditions?: { type: string; status: string }[] } }[] }
      ).items;
      return (
        nodes?.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
          .length === zones.length
      );
    },
    { timeoutMs: 30_000, daemon: 'node-agent' },
  );
  const env: TestEnv = {
    startedAt: new Date().toISOString(),
    kubernetesVersion,
    kubeconfig: kubeconfigPath,
    apiServerUrl,
    kubectl: kubectlBin,
    temporal: {
      address: temporalAddress,
      namespace: temporalNamespace,
      uiUrl: temporalUiUrl,
      cli: temporalBin,
    },
    kafkaVersions: [...kafkaVersions],
    objectStore,
    nodeAgent: {
      pid: agentPid,
      stateDir: agentDir,
      nodes: zones.map((zone) => ({ name: `node-${zone}`, zone })),
      storageClass: 'keelson-local',
      hostsFile: join(agentDir, 'hosts'),
      podLogs: join(agentDir, 'logs'),
    },
  };
  writeFileSync(envFile, JSON.stringify(env, null, 2) + '\n');
  console.error(`testenv: up in ${((Date.now() - started) / 1000).toFixed(1)} s (after the build check)`);
  return env;
}

function status(): number {
  const alive = running();
  for (const name of daemons) console.log(`${name.padEnd(24)} ${daemonPid(name) ?? 'not running'}`);
  const strays = strayProcesses().filter((pid) => !alive.some((name) => daemonPid(name) === pid));
  if (existsSync(envFile)) console.log(readFileSync(envFile, 'utf8').trimEnd());
  if (alive.length === daemons.length) return 0;
  if (alive.length > 0 || strays.length > 0) console.log(`partly up (${alive.length}/${daemons.length})`);
  return 1;
}

function printAddresses(env: TestEnv): void {
  console.log(
    [
      `Kubernetes ${env.kubernetesVersion} API server: ${env.apiServerUrl}`,
      `  export KUBECONFIG=${env.kubeconfig}`,
      `  ${env.kubectl} get nodes -L topology.kubernetes.io/zone`,
      `Temporal: ${env.temporal.address} (namespace ${env.temporal.namespace})`,
      `  UI: ${env.temporal.uiUrl}`,
      `S3 object store: ${env.objectStore.endpoint} (region ${env.objectStore.region}, keys in ${envFile})`,
      `Kafka versions for broker pods (image apache/kafka:<version>): ${env.kafkaVersions.join(', ')}`,
      `Broker logs: ${env.nodeAgent.podLogs}`,
    ].join('\n'),
  );
}

const usage = `usage: npm run testenv -- <command>
  up      build what is missing, start etcd, kube-apiserver, kube-controller-manager,
          the Temporal dev server, the S3 object store and the node agent; write .testenv/env.json
  down    stop every process of the environment
  status  show what runs (exit 1 unless everything does)
  build   only build and download the tools into the cache
  kubectl ARGS...  run the environment's kubectl against its API server
  zone down|up ZONE  simulate losing a zone's node (its brokers killed and not restarted,
          node NotReady, pods unready) and bringing it back; data on disk is kept`;

const [command, ...rest] = process.argv.slice(2);
try {
  switch (command) {
    case 'up':
      printAddresses(await up());
      break;
    case 'down':
      await down();
      console.error('testenv: down');
      break;
    case 'status':
      process.exitCode = status();
      break;
    case 'build':
      await ensureTools();
      break;
    case 'kubectl':
      execFileSync(kubectlBin, [`--kubeconfig=${kubeconfigPath}`, ...rest], { stdio: 'inherit' });
      break;
    case 'zone': {
      const [direction, zone] = rest;
      if ((direction !== 'down' && direction !== 'up') || !zone || !zones.includes(zone)) {
        throw new Error(`usage: zone down|up ZONE, with ZONE one of ${zones.join(', ')}`);
      }
      const value = direction === 'down' ? `${outageAnnotation}=true` : `${outageAnnotation}-`;
      execFileSync(
        kubectlBin,
        [`--kubeconfig=${kubeconfigPath}`, 'annotate', 'node', nodeNameForZone(zone), '--overwrite', value],
        { stdio: 'inherit' },
      );
      break;
    }
    default:
      console.error(usage);
      process.exitCode = command === undefined || command === '--help' || command === '-h' ? 0 : 2;
  }
} catch (err) {
  console.error(`testenv: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
