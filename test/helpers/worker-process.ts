// A `keelson worker` in its own process, for tests that kill it with
// SIGKILL mid-operation and start it again, as a crash would.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { env, eventually } from './cluster.ts';

const main = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

export function workerProcess(taskQueue: string): { start: () => Promise<void>; kill: () => Promise<void> } {
  let worker: ChildProcess | undefined;
  return {
    async start() {
      const child = spawn(
        process.execPath,
        [
          main,
          'worker',
          `--task-queue=${taskQueue}`,
          `--kubeconfig=${env.kubeconfig}`,
          `--temporal-address=${env.temporal.address}`,
          '--health-address=127.0.0.1:0',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let output = '';
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      await eventually('the worker to poll', async () => {
        if (child.exitCode !== null) throw new Error(`worker exited: ${output}`);
        return output.includes('keelson worker: polling') || undefined;
      });
      worker = child;
    },
    async kill() {
      const current = worker;
      if (!current || current.exitCode !== null) return;
      current.kill('SIGKILL');
      await once(current, 'exit');
    },
  };
}
