// The Temporal SDK's runtime, installed once before the worker connects: its
// logs (the SDK's own, Core's forwarded ones, and the workflow and activity
// context loggers) go to pino as JSON with the cluster, namespace, workflow
// id and run id; its metrics (task slots, latencies, polls, failures) are
// buffered and copied into the operator's Prometheus registry, so /metrics
// serves them beside Keelson's own (prefix temporal_).
import { MetricsBuffer, Runtime, type LogLevel, type LogMetadata, type Logger } from '@temporalio/worker';
import type { Logger as Pino } from 'pino';
import { Counter, Gauge, Histogram } from 'prom-client';
import { clusterOfWorkflowId } from '../domain/workflow-ids.ts';
import { registry } from './metrics.ts';

const pinoLevel = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/** The fields a log line carries, from the SDK's metadata. */
export function logFields(meta: LogMetadata | undefined): Record<string, unknown> {
  if (!meta) return {};
  const {
    namespace: temporalNamespace,
    workflowId,
    runId,
    workflowRunId,
    ...rest
  } = meta as Record<string, unknown>;
  const fields: Record<string, unknown> = { ...rest };
  if (temporalNamespace !== undefined) fields.temporalNamespace = temporalNamespace;
  if (typeof workflowId === 'string') {
    fields.workflowId = workflowId;
    const owner = clusterOfWorkflowId(workflowId);
    if (owner) {
      fields.cluster = owner.cluster;
      fields.namespace = owner.namespace;
    }
  }
  const run = runId ?? workflowRunId;
  if (run !== undefined) fields.runId = run;
  return fields;
}

class PinoLogger implements Logger {
  readonly #log: Pino;
  constructor(log: Pino) {
    this.#log = log;
  }
  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    this.#log[pinoLevel[level]](logFields(meta), message);
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

type Mirror =
  | { kind: 'counter'; metric: Counter; labels: string[] }
  | { kind: 'gauge'; metric: Gauge; labels: string[]; add: boolean }
  | { kind: 'histogram'; metric: Histogram; labels: string[] };

const promName = (name: string) => name.replace(/[^a-zA-Z0-9_:]/g, '_');
// Durations come in seconds (useSecondsForDurations); task latencies are milliseconds to minutes.
const secondsBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

let installed: { drain: () => void } | undefined;

/** Installs the runtime (once per process) and returns the function that copies its metrics. */
export function installTemporalRuntime(log: Pino): { drain: () => void } {
  if (installed) return installed;
  const buffer = new MetricsBuffer({ maxBufferSize: 100_000, useSecondsForDurations: true });
  Runtime.install({
    logger: new PinoLogger(log.child({ component: 'temporal' })),
    telemetryOptions: {
      logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} },
      metrics: { buffer, metricPrefix: 'temporal_' },
    },
  });
  const mirrors = new Map<object, Mirror>();
  const byName = new Map<string, Mirror>();
  const mirrorOf = (
    metric: { name: string; kind: string; description?: string },
    attributes: object,
  ): Mirror => {
    const known = mirrors.get(metric) ?? byName.get(metric.name);
    if (known) {
      mirrors.set(metric, known);
      return known;
    }
    const name = promName(metric.name);
    const labels = Object.keys(attributes).map(promName);
    const help = metric.description || metric.name;
    const made: Mirror =
      metric.kind === 'counter'
        ? {
            kind: 'counter',
            labels,
            metric: new Counter({ name, help, labelNames: labels, registers: [registry] }),
          }
        : metric.kind === 'histogram'
          ? {
              kind: 'histogram',
              labels,
              metric: new Histogram({
                name,
                help,
                labelNames: labels,
                buckets: secondsBuckets,
                registers: [registry],
              }),
            }
          : {
              kind: 'gauge',
              labels,
              add: metric.kind === 'up-down-counter',
              metric: new Gauge({ name, help, labelNames: labels, registers: [registry] }),
            };
    mirrors.set(metric, made);
    byName.set(metric.name, made);
    return made;
  };
  const drain = () => {
    for (const update of buffer.retrieveUpdates()) {
      const mirror = mirrorOf(update.metric, update.attributes);
      // A label the metric did not have at first is dropped: prom-client's label sets are fixed.
      const labels: Record<string, string> = {};
      for (const [key, value] of Object.entries(update.attributes)) {
        const label = promName(key);
        if (mirror.labels.includes(label)) labels[label] = String(value);
      }
      if (mirror.kind === 'counter') mirror.metric.inc(labels, update.value);
      else if (mirror.kind === 'histogram') mirror.metric.observe(labels, update.value);
      else if (mirror.add) mirror.metric.inc(labels, update.value);
      else mirror.metric.set(labels, update.value);
    }
  };
  setInterval(drain, 1_000).unref();
  installed = { drain };
  return installed;
}
