// The long-running process: `keelson operator` (watcher + worker, the usual
// way), `keelson watch` (watcher only) or `keelson worker` (worker only, to
// scale workers out). Serves /healthz, /readyz and /metrics, and on SIGTERM
// or SIGINT stops cleanly: the watcher stops and gives up its Lease, the
// worker finishes or hands back what it runs, connections close.
import { temporalConnectionOptions, type TemporalTlsFiles } from './temporal-connection.ts';
import type { BackupPolicy } from '../domain/backup-policy.ts';
import type { ReconcilePolicy } from '../domain/reconcile-policy.ts';
import type { KubeConfig } from '@kubernetes/client-node';
import { hostname } from 'node:os';
import { pino } from 'pino';
import { boundAddress, startHealthServer } from './health-server.ts';
import type { WatcherStatus } from './watcher.ts';
import { ProblemBoard } from './problems.ts';
import type { Tracing } from './tracing.ts';
import { scrapeHooks } from './metrics.ts';
import { awaitTemporalNamespace, connectWithRetry } from './temporal-preflight.ts';
import { watchKubernetesPreflight } from './kubernetes-preflight.ts';

export type ProcessMode = 'operator' | 'watch' | 'worker';

export interface ProcessOptions {
  mode: ProcessMode;
  temporalAddress: string;
  temporalNamespace: string;
  /** TLS to the Temporal frontend: client certificate and key, and the CA to trust (files). */
  temporalTls?: TemporalTlsFiles;
  /** Temporal Cloud's API key (read from a file or the environment, never a flag's value). */
  temporalApiKey?: string;
  taskQueue: string;
  /** Register missing search attributes (else only check, and wait naming the command). */
  registerSearchAttributes: boolean;
  kubeconfig: string | undefined;
  namespaces: string[];
  maxConcurrentRolls: number;
  maxCachedWorkflows: number;
  /** Where backups may be kept: S3 endpoints and a filesystem root the operator was configured with. */
  backupPolicy: BackupPolicy;
  /** How often clusters are looked at without a signal, and how failed operations are retried. */
  reconcilePolicy: ReconcilePolicy;
  /** host:port for /healthz, /readyz and /metrics; none when undefined. */
  healthAddress: string | undefined;
  /** OTLP/HTTP traces URL (e.g. http://collector:4318/v1/traces); no tracing when undefined. */
  tracingEndpoint?: string | undefined;
  /** Lease for the watcher; none when undefined (a single watcher). */
  leaderElection: { namespace: string; name: string; leaseSeconds: number } | undefined;
}

/** A stop that takes longer than this ends the process anyway. */
const shutdownDeadlineMs = 30_000;

export async function runProcess(options: ProcessOptions): Promise<void> {
  let tracing: Tracing | undefined;
  // With tracing on, each line logged inside a span carries its trace and span ids.
  const log = pino(
    { name: `keelson-${options.mode}`, mixin: () => tracing?.logIds() ?? {} },
    pino.destination(2),
  );
  const stop = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      log.info({ signal }, 'stopping');
      stop.abort();
      setTimeout(() => {
        log.error('did not stop in time; exiting');
        process.exit(1);
      }, shutdownDeadlineMs).unref();
    });
  }

  const runsWorker = options.mode !== 'watch';
  const runsWatcher = options.mode !== 'worker';
  const workerStatus = { polling: false };
  const watcherStatus: WatcherStatus = { leading: false, listed: false };
  let failure: string | undefined;
  const problems = new ProblemBoard(log);
  const health = options.healthAddress
    ? await startHealthServer(options.healthAddress, {
        liveness: () => (failure ? [failure] : []),
        readiness: () => [
          ...(failure ? [failure] : []),
          ...problems.list(),
          ...(runsWorker && !workerStatus.polling ? ['the worker is not polling yet'] : []),
          ...(runsWatcher && watcherStatus.leading && !watcherStatus.listed
            ? ['the watcher has not listed the KafkaClusters yet']
            : []),
        ],
      })
    : undefined;
  if (health) log.info({ address: boundAddress(health) }, 'serving /healthz, /readyz and /metrics');

  const temporal = temporalConnectionOptions({
    address: options.temporalAddress,
    tls: options.temporalTls,
    apiKey: options.temporalApiKey,
  });
  const identity = `${process.env.POD_NAME ?? hostname()}-${process.pid}`;
  if (options.tracingEndpoint) {
    tracing = await (await import('./tracing.ts')).startTracing(options.tracingEndpoint, identity);
    log.info({ endpoint: options.tracingEndpoint }, 'tracing to an OTLP endpoint');
  }
  const failed = (part: string) => (err: unknown) => {
    failure = `${part} failed: ${err instanceof Error ? err.message : String(err)}`;
    log.error({ err }, failure);
    stop.abort();
  };
  // Each half loads only what it needs (the worker's runtime is most of the memory): `keelson watch`
  // stays small. Both start at once, and the Kubernetes client loads after the worker's modules
  // (half a second each): the worker then loads its workflow bundle on a thread of its own while
  // the client and the watcher's modules load here.
  let kube: Promise<KubeConfig> | undefined;
  const loadKube = (): Promise<KubeConfig> =>
    (kube ??= import('./pooled-kube-config.ts').then(({ PooledKubeConfig }) => {
      const config = new PooledKubeConfig();
      if (options.kubeconfig) config.loadFromFile(options.kubeconfig);
      else config.loadFromDefault();
      return config;
    }));
  // Once per process, whichever half connects first; the other waits for the same answer.
  let namespaceReady: Promise<boolean> | undefined;
  const temporalReady = (services: Parameters<typeof awaitTemporalNamespace>[0]) =>
    (namespaceReady ??= awaitTemporalNamespace(
      services,
      options.temporalNamespace,
      options.registerSearchAttributes,
      problems,
      log,
      stop.signal,
    ));
  // Started by whichever half loads the Kubernetes client first (it loads after the worker's modules).
  let kubernetesChecked: Promise<void> | undefined;
  const checkKubernetes = (loading: Promise<KubeConfig>) =>
    (kubernetesChecked ??= loading.then(
      (kube) =>
        watchKubernetesPreflight(
          kube,
          {
            watcher: runsWatcher,
            worker: runsWorker,
            namespaces: options.namespaces,
            leaseNamespace: options.leaderElection?.namespace,
          },
          problems,
          stop.signal,
        ),
      () => undefined, // reported by whichever half awaits it
    ));
  /** Connects (retrying while Temporal is away), waits for its namespace to be ready, works, closes. */
  const withReadyTemporal = async <
    C extends Parameters<typeof temporalReady>[0] & { close(): Promise<void> },
  >(
    connect: () => Promise<C>,
    work: (connection: C) => Promise<void>,
  ): Promise<void> => {
    const connection = await connectWithRetry(connect, options.temporalAddress, problems, stop.signal);
    if (!connection) return;
    try {
      if (await temporalReady(connection)) await work(connection);
    } finally {
      await connection.close();
    }
  };
  const workerHalf = async (): Promise<void> => {
    const worker = await import('./worker.ts');
    // Before the first connection: the SDK's logs and metrics go to pino and /metrics.
    const { installTemporalRuntime } = await import('./temporal-runtime.ts');
    scrapeHooks.add(installTemporalRuntime(log).drain);
    const loading = loadKube();
    loading.catch(() => undefined); // reported by whichever half awaits it
    void checkKubernetes(loading);
    await withReadyTemporal(
      () => worker.NativeConnection.connect(temporal),
      (connection) =>
        worker.runWorker(loading, connection, { ...options, tracing }, workerStatus, log, stop.signal),
    );
  };
  const watcherHalf = async (): Promise<void> => {
    const watcher = await import('./watcher.ts');
    void checkKubernetes(loadKube());
    const config = await loadKube();
    await withReadyTemporal(
      () => watcher.Connection.connect(temporal),
      (connection) =>
        watcher.runWatcher(
          config,
          connection,
          {
            temporalNamespace: options.temporalNamespace,
            taskQueue: options.taskQueue,
            namespaces: options.namespaces,
            ...(options.leaderElection ? { leaderElection: { ...options.leaderElection, identity } } : {}),
            tracing,
          },
          watcherStatus,
          log,
          stop.signal,
          problems,
        ),
    );
  };
  try {
    await Promise.all([
      runsWorker && workerHalf().catch(failed('the worker')),
      runsWatcher && watcherHalf().catch(failed('the watcher')),
    ]);
    await kubernetesChecked;
  } finally {
    await new Promise((resolve) => (health ? health.close(resolve) : resolve(undefined)));
    log.info('stopped');
  }
  await tracing?.shutdown().catch(() => undefined); // the last spans, sent before exit
  if (failure) process.exitCode = 1;
}
