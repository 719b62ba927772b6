// `keelson worker` / `keelson operator` in their own process, for tests that
// kill them (SIGKILL, as a crash would; SIGTERM, as Kubernetes does) and
// start them again.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { env, eventually } from './cluster.ts';
import { nodeFlags, processEnvironment } from '../../src/operator/node-flags.ts';

const main = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

export interface KeelsonProcess {
  /** Resolves once it serves /healthz and (unless `polling: false`) its worker polls. */
  start: (options?: { polling?: boolean }) => Promise<void>;
  /** SIGKILL (default) or another signal; resolves with the exit code once the process is gone. */
  kill: (signal?: NodeJS.Signals) => Promise<number | null>;
  /** Its stderr so far (pino JSON lines and the SDK's log). */
  output: () => string;
  /** Where it serves /healthz, /readyz and /metrics. */
  healthUrl: () => string;
}

export function keelsonProcess(command: 'worker' | 'operator' | 'watch', args: string[]): KeelsonProcess {
  let child: ChildProcess | undefined;
  let output = '';
  return {
    async start({ polling: awaitPolling = true } = {}) {
      output = '';
      const started = spawn(
        process.execPath,
        [
          ...nodeFlags,
          main,
          command,
          `--temporal-address=${env.temporal.address}`,
          '--health-address=127.0.0.1:0',
          ...args,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...processEnvironment } },
      );
      started.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      await eventually(`keelson ${command} to start`, async () => {
        if (started.exitCode !== null) throw new Error(`keelson ${command} exited: ${output}`);
        const polling = command === 'watch' || !awaitPolling || output.includes('keelson worker: polling');
        return (polling && output.includes('serving /healthz')) || undefined;
      });
      child = started;
    },
    async kill(signal = 'SIGKILL') {
      const current = child;
      if (!current || current.exitCode !== null || current.signalCode !== null)
        return current?.exitCode ?? null;
      const exited = once(current, 'exit');
      current.kill(signal);
      const [code] = (await exited) as [number | null];
      return code;
    },
    output: () => output,
    healthUrl: () => {
      const address = /"address":"([\d.]+:\d+)","msg":"serving/.exec(output)?.[1];
      if (!address) throw new Error('the process has not said where it serves /healthz');
      return `http://${address}`;
    },
  };
}

export function workerProcess(taskQueue: string, extraArgs: string[] = []): KeelsonProcess {
  return keelsonProcess('worker', [
    ...extraArgs,
    `--task-queue=${taskQueue}`,
    `--kubeconfig=${env.kubeconfig}`,
    // The environment's store, and a port where nothing listens (for "unreachable store" tests).
    `--backup-endpoint=${env.objectStore.endpoint}`,
    '--backup-endpoint=http://127.0.0.1:9',
  ]);
}

/** Runs a `keelson` CLI command against the environment's Temporal; never throws. */
export function keelsonCli(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [main, ...args, `--temporal-address=${env.temporal.address}`],
      { env: { ...process.env, KUBECONFIG: env.kubeconfig } },
      (err, stdout, stderr) =>
        resolve({ status: err ? ((err.code as number | undefined) ?? 1) : 0, stdout, stderr }),
    );
  });
}
