// Tracing end to end, against the real API server, Temporal and brokers: an
// operator started with --tracing-endpoint sends its spans to an OTLP/HTTP
// receiver (this test's), and creating a KafkaCluster makes one trace that
// goes from the watcher's event through the signal-with-start to the cluster
// workflow, its operation and each activity; the log lines written inside the
// watcher's span carry that trace's id.
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { minimalSpec } from '../../fixtures/kafka-cluster-specs.ts';
import { adminKubeConfig, createNamespace, env, eventually } from '../../helpers/cluster.ts';
import { installCrd } from '../../helpers/crd.ts';
import { createKafkaCluster, readyAtGeneration } from '../../helpers/kafka-cluster.ts';
import { keelsonProcess, type KeelsonProcess } from '../../helpers/worker-process.ts';

interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Record<string, unknown>;
}

interface OtlpJson {
  resourceSpans?: {
    scopeSpans?: {
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        attributes?: { key: string; value: Record<string, unknown> }[];
      }[];
    }[];
  }[];
}

describe('tracing to an OTLP endpoint', () => {
  const admin = adminKubeConfig();
  const core = admin.makeApiClient(CoreV1Api);
  const custom = admin.makeApiClient(CustomObjectsApi);
  const spans: ReceivedSpan[] = [];
  let receiver: Server;
  let namespace = '';
  let operator: KeelsonProcess;

  before(async () => {
    // A minimal OTLP/HTTP receiver: JSON bodies, as the exporter sends them.
    receiver = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        const message = JSON.parse(body) as OtlpJson;
        for (const resource of message.resourceSpans ?? [])
          for (const scope of resource.scopeSpans ?? [])
            for (const span of scope.spans ?? [])
              spans.push({
                traceId: span.traceId,
                spanId: span.spanId,
                ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
                name: span.name,
                attributes: Object.fromEntries(
                  (span.attributes ?? []).map((a) => [a.key, Object.values(a.value)[0]]),
                ),
              });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    await installCrd(admin);
    namespace = await createNamespace(core, 'tracing');
    operator = keelsonProcess('operator', [
      `--kubeconfig=${env.kubeconfig}`,
      `--namespace=${namespace}`,
      '--no-leader-elect',
      '--task-queue=tracing',
      `--tracing-endpoint=http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/traces`,
    ]);
    await operator.start();
  });

  after(async () => {
    await operator.kill('SIGTERM');
    await core.deleteNamespace({ name: namespace });
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('follows a new KafkaCluster from the watch event through the signal to every activity', async () => {
    await createKafkaCluster(custom, namespace, 'orders', minimalSpec);
    await readyAtGeneration(custom, namespace, 'orders', 1);

    const watched = await eventually('the watcher’s span of the event that signalled', async () =>
      spans.find(
        (s) =>
          s.name === 'KafkaCluster changed' &&
          s.attributes['keelson.cluster'] === 'orders' &&
          s.attributes['k8s.namespace.name'] === namespace &&
          s.attributes['keelson.signalled'] === true,
      ),
    );
    const inTrace = () => spans.filter((s) => s.traceId === watched.traceId);
    await eventually('the workflow’s and its activities’ spans in the same trace', async () => {
      const names = inTrace().map((s) => s.name);
      return (
        (names.includes('SignalWithStartWorkflow:kafkaClusterWorkflow') &&
          names.includes('HandleSignal:spec') &&
          names.filter((n) => n.startsWith('RunActivity:')).length >= 5) ||
        undefined
      );
    });
    const trace = inTrace();
    // The signal is the watcher span's child; the workflow's spans (RunWorkflow ends with the run,
    // so it is exported then) and its activities' carry the trace id the signal's headers brought.
    const signal = trace.find((s) => s.name === 'SignalWithStartWorkflow:kafkaClusterWorkflow');
    assert.equal(signal?.parentSpanId, watched.spanId);
    const activities = new Set(trace.filter((s) => s.name.startsWith('RunActivity:')).map((s) => s.name));
    assert.ok(activities.size >= 3, `activities traced: ${[...activities].join(', ')}`);

    // The watcher's own log line for that signal carries the trace id.
    const signalled = operator
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{') && line.includes('"msg":"signalled"'))
      .map((line) => JSON.parse(line) as { traceId?: string; cluster?: string });
    assert.ok(
      signalled.some((l) => l.cluster === 'orders' && l.traceId === watched.traceId),
      'the "signalled" log line has the trace id',
    );
  });
});
