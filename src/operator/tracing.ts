// OpenTelemetry tracing, off unless an OTLP endpoint is given
// (--tracing-endpoint): the watcher starts a span for each KafkaCluster event
// it acts on, the Temporal client interceptor carries its context in the
// signal's headers, and the worker's interceptors (workflow spans through a
// sink, activity spans around each attempt) continue the same trace. Loaded
// only when on: a process without tracing pays nothing for it.
import type { Span, Tracer } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import { createRequire } from 'node:module';

export interface Tracing {
  tracer: Tracer;
  resource: Resource;
  spanProcessor: SpanProcessor;
  /** For every Temporal client: puts the current span's context in the headers of what it sends. */
  clientInterceptor(): WorkflowClientInterceptor;
  /** For the worker: a span around each activity attempt, child of the workflow's. */
  activityInterceptors: ActivityInterceptorsFactory[];
  /** For the worker: where the workflows' spans go (they are made inside the sandbox). */
  sinks: InjectedSinks<never>;
  /** The workflow interceptor module the traced bundle is built with. */
  workflowInterceptorModule: string;
  /** The current trace and span ids, for log lines. */
  logIds(): { traceId?: string; spanId?: string };
  /** Runs `work` in a span of its own, ending it (with the error, if one is thrown). */
  inSpan<T>(
    name: string,
    attributes: Record<string, string | number>,
    work: (span: Span) => Promise<T>,
  ): Promise<T>;
  shutdown(): Promise<void>;
}

export async function startTracing(endpoint: string, identity: string): Promise<Tracing> {
  const [api, { NodeTracerProvider }, { BatchSpanProcessor }, { Resource }, { OTLPTraceExporter }, otel] =
    await Promise.all([
      import('@opentelemetry/api'),
      import('@opentelemetry/sdk-trace-node'),
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@temporalio/interceptors-opentelemetry'),
    ]);
  const resource = new Resource({ 'service.name': 'keelson', 'service.instance.id': identity });
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter({ url: endpoint }), {
    scheduledDelayMillis: 1_000,
  });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  // The AsyncLocalStorage context manager and W3C propagation: a span started here is the parent
  // of what the awaited code does, including the Temporal calls.
  provider.register();
  const tracer = api.trace.getTracer('keelson');
  return {
    tracer,
    resource,
    spanProcessor,
    clientInterceptor: () => new otel.OpenTelemetryWorkflowClientInterceptor({ tracer }),
    activityInterceptors: [
      (ctx) => ({
        inbound: new otel.OpenTelemetryActivityInboundInterceptor(ctx, { tracer }),
        outbound: new otel.OpenTelemetryActivityOutboundInterceptor(ctx),
      }),
    ],
    sinks: {
      exporter: otel.makeWorkflowExporter(spanProcessor, resource),
    } as unknown as InjectedSinks<never>,
    workflowInterceptorModule: createRequire(import.meta.url).resolve(
      '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors',
    ),
    logIds: () => {
      const context = api.trace.getActiveSpan()?.spanContext();
      return context ? { traceId: context.traceId, spanId: context.spanId } : {};
    },
    inSpan: (name, attributes, work) =>
      tracer.startActiveSpan(name, { attributes }, async (span) => {
        try {
          return await work(span);
        } catch (err) {
          span.recordException(err as Error);
          span.setStatus({ code: api.SpanStatusCode.ERROR, message: (err as Error).message });
          throw err;
        } finally {
          span.end();
        }
      }),
    shutdown: () => provider.shutdown(),
  };
}
