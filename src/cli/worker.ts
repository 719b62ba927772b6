// `keelson worker`: runs Keelson's workflows and activities against a Temporal
// server and a Kubernetes API server until SIGTERM/SIGINT. The watcher and the
// combined `keelson operator` come with the watcher; this is the half that
// does the work, and what the durability tests kill and restart.
import { KubeConfig } from '@kubernetes/client-node';
import { NativeConnection, Worker } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { createActivities } from '../activities/index.ts';

export interface WorkerOptions {
  /** Temporal frontend address. @default 127.0.0.1:7233 */
  temporalAddress: string;
  /** @default default */
  temporalNamespace: string;
  /** @default keelson */
  taskQueue: string;
  /** Path of a kubeconfig; in a pod the in-cluster config is used when unset. */
  kubeconfig: string | undefined;
  /** Clusters of this task queue that may roll at once. @default 1 */
  maxConcurrentRolls?: number;
}

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export async function runWorker(options: WorkerOptions, stop: Promise<void>): Promise<void> {
  const kube = new KubeConfig();
  if (options.kubeconfig) kube.loadFromFile(options.kubeconfig);
  else kube.loadFromDefault();
  const connection = await NativeConnection.connect({ address: options.temporalAddress });
  try {
    const worker = await Worker.create({
      connection,
      namespace: options.temporalNamespace,
      taskQueue: options.taskQueue,
      workflowsPath,
      activities: createActivities({ kube, maxConcurrentRolls: options.maxConcurrentRolls }),
    });
    await worker.runUntil(async () => {
      console.error(`keelson worker: polling task queue ${options.taskQueue} on ${options.temporalAddress}`);
      await stop;
    });
  } finally {
    await connection.close();
  }
}
