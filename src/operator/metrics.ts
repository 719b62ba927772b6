// The operator's Prometheus metrics (served on /metrics). One registry per
// process; the watcher, the leader elector and the activities count into it.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { KafkaClusterStatus } from '../crd/kafka-cluster-status.ts';
import { clusterFigures } from '../domain/cluster-metrics.ts';

export const registry = new Registry();
/** Run before each scrape: copy what other parts buffer (the Temporal SDK's metrics) into the registry. */
export const scrapeHooks = new Set<() => void>();
collectDefaultMetrics({ register: registry, prefix: 'keelson_' });

export const watchEvents = new Counter({
  name: 'keelson_watch_events_total',
  help: 'List/watch loop events: list, relist, reconnect, gone (410), error',
  labelNames: ['kind'] as const,
  registers: [registry],
});

export const signalsSent = new Counter({
  name: 'keelson_signals_sent_total',
  help: 'Signals sent to cluster workflows: spec (a new generation) and drift (owned object deleted or unready)',
  labelNames: ['signal'] as const,
  registers: [registry],
});

export const leader = new Gauge({
  name: 'keelson_leader',
  help: '1 while this process holds the leader Lease and runs the watcher',
  registers: [registry],
});

export const operations = new Counter({
  name: 'keelson_operations_total',
  help: 'Operations finished, by type and result (Succeeded, Failed, Cancelled)',
  labelNames: ['type', 'result'] as const,
  registers: [registry],
});

export const operationSeconds = new Histogram({
  name: 'keelson_operation_duration_seconds',
  help: 'Duration of finished operations, by type',
  labelNames: ['type'] as const,
  buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200],
  registers: [registry],
});

// Status writes may be retried: each operation is counted once, by workflow id.
const counted = new Set<string>();

/** Counts a finished operation once, from the lastOperation the cluster workflow writes. */
export function countOperation(op: {
  type: string;
  workflowId: string;
  result: string;
  startedAt?: string | undefined;
  finishedAt: string;
}): void {
  if (counted.has(op.workflowId)) return;
  counted.add(op.workflowId);
  if (counted.size > 10_000) counted.delete(counted.values().next().value as string);
  operations.inc({ type: op.type, result: op.result });
  if (op.startedAt) {
    const seconds = (Date.parse(op.finishedAt) - Date.parse(op.startedAt)) / 1000;
    if (Number.isFinite(seconds) && seconds >= 0) operationSeconds.observe({ type: op.type }, seconds);
  }
}

export const certificateExpiry = new Gauge({
  name: 'keelson_certificate_expiry_timestamp_seconds',
  help: 'When each certificate of a secured cluster expires (Unix seconds), by Secret and kind (cluster-ca, clients-ca, node, operator, user)',
  labelNames: ['namespace', 'cluster', 'secret', 'kind'] as const,
  registers: [registry],
});

const certificateSecrets = new Map<string, Set<string>>();

/** Sets the expiry of every certificate a cluster holds now, forgetting those it no longer has. */
export function recordCertificates(
  cluster: { namespace: string; name: string },
  certificates: readonly { secret: string; kind: string; notAfter: string }[],
  group = 'cluster',
): void {
  const key = `${cluster.namespace}/${cluster.name}/${group}`;
  const before = certificateSecrets.get(key) ?? new Set<string>();
  const now = new Set<string>();
  for (const c of certificates) {
    const labels = { namespace: cluster.namespace, cluster: cluster.name, secret: c.secret, kind: c.kind };
    certificateExpiry.set(labels, Date.parse(c.notAfter) / 1000);
    now.add(JSON.stringify(labels));
  }
  for (const gone of before)
    if (!now.has(gone)) certificateExpiry.remove(JSON.parse(gone) as Record<string, string>);
  certificateSecrets.set(key, now);
}

// Per KafkaCluster, from its status as the watcher sees it (so on the leader: a dashboard takes the
// max across replicas). Label sets a cluster no longer has are removed, and all of them when it goes.
const clusterGauge = (name: string, help: string, extraLabels: readonly string[] = []) =>
  new Gauge({ name, help, labelNames: ['namespace', 'cluster', ...extraLabels], registers: [registry] });

export const clusterGauges = {
  ready: clusterGauge('keelson_cluster_ready', '1 while the KafkaCluster is Ready'),
  degraded: clusterGauge('keelson_cluster_degraded', '1 while the KafkaCluster is Degraded'),
  brokersReady: clusterGauge('keelson_cluster_brokers_ready', 'Brokers ready'),
  brokersDesired: clusterGauge('keelson_cluster_brokers_desired', 'Brokers the spec asks for'),
  operationStarted: clusterGauge(
    'keelson_cluster_operation_started_timestamp_seconds',
    'When the running operation started (Unix seconds), by type; absent when none runs',
    ['type'],
  ),
  operationBlocked: clusterGauge(
    'keelson_cluster_operation_blocked',
    '1 while the running operation waits on something it names in status.currentOperation.blockedReason',
    ['type'],
  ),
  lastOperationSucceeded: clusterGauge(
    'keelson_cluster_last_operation_succeeded',
    '1 when the last operation succeeded, 0 when it failed or was cancelled, by type',
    ['type'],
  ),
  lastOperationFinished: clusterGauge(
    'keelson_cluster_last_operation_timestamp_seconds',
    'When the last operation finished (Unix seconds), by type',
    ['type'],
  ),
  lastOperationSeconds: clusterGauge(
    'keelson_cluster_last_operation_duration_seconds',
    'How long the last operation took, by type',
    ['type'],
  ),
  lastBackupSucceeded: clusterGauge(
    'keelson_cluster_last_backup_succeeded',
    '1 when the last backup succeeded, 0 when it failed',
  ),
  lastBackupFinished: clusterGauge(
    'keelson_cluster_last_backup_timestamp_seconds',
    'When the last backup finished (Unix seconds)',
  ),
  lastDrillSucceeded: clusterGauge(
    'keelson_cluster_last_drill_succeeded',
    '1 when the last failover drill succeeded, 0 otherwise',
  ),
  lastDrillFinished: clusterGauge(
    'keelson_cluster_last_drill_timestamp_seconds',
    'When the last failover drill finished (Unix seconds)',
  ),
};

type ClusterSeries = [Gauge, Record<string, string>, number];
const gaugeKeys = new Map<Gauge, string>(Object.entries(clusterGauges).map(([key, gauge]) => [gauge, key]));
const seriesKey = ([gauge, labels]: ClusterSeries) => `${gaugeKeys.get(gauge)}${JSON.stringify(labels)}`;
const clusterSeries = new Map<string, ClusterSeries[]>();

/** Sets a cluster's figures from its status; undefined forgets the cluster. */
export function recordClusterStatus(
  namespace: string,
  cluster: string,
  status: KafkaClusterStatus | undefined,
): void {
  const key = `${namespace}/${cluster}`;
  const series: ClusterSeries[] = [];
  if (status) {
    const f = clusterFigures(status);
    const at = { namespace, cluster };
    const g = clusterGauges;
    series.push([g.ready, at, f.ready], [g.degraded, at, f.degraded]);
    if (f.brokersReady !== undefined) series.push([g.brokersReady, at, f.brokersReady]);
    if (f.brokersDesired !== undefined) series.push([g.brokersDesired, at, f.brokersDesired]);
    if (f.operation) {
      const labels = { ...at, type: f.operation.type };
      series.push(
        [g.operationStarted, labels, f.operation.startedAt],
        [g.operationBlocked, labels, f.operation.blocked],
      );
    }
    if (f.lastOperation) {
      const labels = { ...at, type: f.lastOperation.type };
      series.push(
        [g.lastOperationSucceeded, labels, f.lastOperation.succeeded],
        [g.lastOperationFinished, labels, f.lastOperation.finishedAt],
      );
      if (f.lastOperation.seconds !== undefined)
        series.push([g.lastOperationSeconds, labels, f.lastOperation.seconds]);
    }
    if (f.lastBackup)
      series.push(
        [g.lastBackupSucceeded, at, f.lastBackup.succeeded],
        [g.lastBackupFinished, at, f.lastBackup.finishedAt],
      );
    if (f.lastDrill)
      series.push(
        [g.lastDrillSucceeded, at, f.lastDrill.succeeded],
        [g.lastDrillFinished, at, f.lastDrill.finishedAt],
      );
  }
  const now = new Set(series.map(seriesKey));
  for (const old of clusterSeries.get(key) ?? []) if (!now.has(seriesKey(old))) old[0].remove(old[1]);
  for (const [gauge, labels, value] of series) gauge.set(labels, value);
  if (series.length > 0) clusterSeries.set(key, series);
  else clusterSeries.delete(key);
}

export function forgetAllClusters(): void {
  for (const key of [...clusterSeries.keys()]) {
    const [namespace = '', cluster = ''] = key.split('/');
    recordClusterStatus(namespace, cluster, undefined);
  }
}
