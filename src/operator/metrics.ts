// The operator's Prometheus metrics (served on /metrics). One registry per
// process; the watcher, the leader elector and the activities count into it.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
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
