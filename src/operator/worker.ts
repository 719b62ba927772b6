// `keelson worker`: runs Keelson's workflows and activities against a Temporal
// server and a Kubernetes API server until stopped; what the durability tests
// kill and restart, and the half of `keelson operator` that does the work.
import type { KubeConfig } from '@kubernetes/client-node';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import { lazyActivities } from '../activities/lazy-activities.ts';
import { countOperation, recordCertificates } from './metrics.ts';
import type { BackupPolicy } from '../domain/backup-policy.ts';
import type { ReconcilePolicy } from '../domain/reconcile-policy.ts';
import { workflowBundle } from './workflow-bundle.ts';
import type { Tracing } from './tracing.ts';

export interface WorkerOptions {
  temporalNamespace: string;
  taskQueue: string;
  /** Clusters of this task queue that may roll at once. @default 1 */
  maxConcurrentRolls?: number;
  /** Workflows kept in memory between their tasks (others are replayed from history when woken). */
  maxCachedWorkflows?: number;
  /** Where backups may be kept (--backup-root, --backup-endpoint). */
  backupPolicy?: BackupPolicy;
  /** --resync-interval, --retry-initial-delay, --retry-max-delay. */
  reconcilePolicy?: ReconcilePolicy;
  /** Spans for workflows and activities (--tracing-endpoint). */
  tracing?: Tracing | undefined;
}

export { workflowsPath } from './workflow-bundle.ts';
export { NativeConnection };

/** How long a stopping worker lets running activities finish before cancelling them (they retry elsewhere). */
const shutdownGraceTime = '10s';

export async function runWorker(
  /** May still be loading: the workflow bundle loads meanwhile; the worker polls only once it is there. */
  kube: Promise<KubeConfig>,
  connection: NativeConnection,
  options: WorkerOptions,
  status: { polling: boolean },
  log: Logger,
  stop: AbortSignal,
): Promise<void> {
  const activities = lazyActivities({
    kube,
    maxConcurrentRolls: options.maxConcurrentRolls,
    backupPolicy: options.backupPolicy,
    reconcilePolicy: options.reconcilePolicy,
    onOperationFinished: countOperation,
    onCertificates: recordCertificates,
  });
  const worker = await Worker.create({
    connection,
    namespace: options.temporalNamespace,
    taskQueue: options.taskQueue,
    workflowBundle: await workflowBundle(log, options.tracing !== undefined),
    activities,
    ...(options.tracing
      ? { interceptors: { activity: options.tracing.activityInterceptors }, sinks: options.tracing.sinks }
      : {}),
    shutdownGraceTime,
    // The SDK sizes its cache from the machine's memory; a cluster workflow sits idle most of its
    // life and costs megabytes cached, so the cache is bounded and an idle one is replayed when woken.
    ...(options.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: options.maxCachedWorkflows } : {}),
  });
  await kube; // a kubeconfig that cannot be loaded stops the worker before it takes any work
  await worker.runUntil(async () => {
    status.polling = true;
    log.info({ taskQueue: options.taskQueue }, 'keelson worker: polling');
    await new Promise<void>((resolve) => {
      if (stop.aborted) resolve();
      stop.addEventListener('abort', () => resolve(), { once: true });
    });
    status.polling = false;
  });
}
