// Monitoring as shipped, against what a real operator and real brokers
// export: a KafkaCluster with the JMX exporter on serves broker metrics on
// each pod's `metrics` port; the chart's alerts pass `promtool check rules`
// and their unit tests (test/fixtures/monitoring/alerts.promtool.yaml); and
// every metric and label the alerts, their tests and the Grafana dashboards
// name is one that operator and those brokers export (or that the chart's
// monitors add: namespace, pod, cluster).
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { minimalSpec } from '../../fixtures/kafka-cluster-specs.ts';
import { adminKubeConfig, createNamespace, env } from '../../helpers/cluster.ts';
import { installCrd } from '../../helpers/crd.ts';
import { consumeKeys, replicatedTopicWithMessages } from '../../helpers/kafka.ts';
import { registry } from '../../../src/operator/metrics.ts';
import { createKafkaCluster, readyAtGeneration } from '../../helpers/kafka-cluster.ts';
import { exposition, promqlNames } from '../../helpers/promql.ts';
import { keelsonProcess, type KeelsonProcess } from '../../helpers/worker-process.ts';
import { promtoolBin } from '../../../tools/testenv/src/build.ts';
import { chartDir, renderChart } from '../../../tools/testenv/src/chart.ts';

const fixtures = join(import.meta.dirname, '../../fixtures/monitoring');
/** Labels Prometheus and the chart's monitors add to every series they scrape. */
const addedByScrape = new Set([
  'namespace',
  'pod',
  'cluster',
  'job',
  'instance',
  'container',
  'endpoint',
  'service',
]);
/** Labels PromQL itself makes or matches on: histogram buckets, quantiles in the JMX rules. */
const builtIn = new Set(['le', '__name__']);

describe('monitoring against a real operator and real brokers', () => {
  const admin = adminKubeConfig();
  const core = admin.makeApiClient(CoreV1Api);
  const custom = admin.makeApiClient(CustomObjectsApi);
  let namespace = '';
  let operator: KeelsonProcess;
  let operatorMetrics = '';
  const brokerMetrics: string[] = [];
  let exported = new Map<string, Set<string>>();

  before(async () => {
    await installCrd(admin);
    namespace = await createNamespace(core, 'monitoring');
    operator = keelsonProcess('operator', [
      `--kubeconfig=${env.kubeconfig}`,
      `--namespace=${namespace}`,
      '--no-leader-elect',
      '--task-queue=monitoring',
    ]);
    await operator.start();
    await createKafkaCluster(custom, namespace, 'orders', {
      ...minimalSpec,
      metrics: { jmxExporter: { enabled: true } },
    });
    await readyAtGeneration(custom, namespace, 'orders', 1);
    const pods = (await core.listNamespacedPod({ namespace, labelSelector: 'keelson.dev/cluster=orders' }))
      .items;
    // Traffic in and out, so that per-topic and request metrics exist.
    const bootstrap = pods.map((p) => `${p.status?.podIP}:9092`);
    await replicatedTopicWithMessages(bootstrap, 'payments', 500);
    assert.equal((await consumeKeys(bootstrap, 'payments', 500)).size, 500);
    for (const pod of pods) {
      const port = pod.spec?.containers[0]?.ports?.find((p) => p.name === 'metrics')?.containerPort;
      assert.equal(port, 9404, `${pod.metadata?.name} has a metrics port`);
      brokerMetrics.push(await (await fetch(`http://${pod.status?.podIP}:${port}/metrics`)).text());
    }
    operatorMetrics = await (await fetch(`${operator.healthUrl()}/metrics`)).text();
    exported = exposition([operatorMetrics, ...brokerMetrics].join('\n'));
    // A per-cluster gauge with no series yet (no operation running) shows only its HELP and TYPE:
    // its label names are those the operator's code declares for it.
    for (const metric of registry.getMetricsAsArray()) {
      const declared = (metric as unknown as { name: string; labelNames?: string[] }).labelNames ?? [];
      for (const label of declared) exported.get(metric.name)?.add(label);
    }
  });

  after(async () => {
    await operator.kill('SIGTERM');
    await core.deleteNamespace({ name: namespace });
  });

  it("serves each broker's partition, controller and throughput metrics on its metrics port", () => {
    for (const text of brokerMetrics) {
      assert.match(text, /^kafka_server_replicamanager_partitioncount \d+/m);
      assert.match(text, /^kafka_server_replicamanager_underreplicatedpartitions 0/m);
      assert.match(text, /^kafka_controller_kafkacontroller_activecontrollercount [01]/m);
    }
    // Exactly one active controller among the three combined nodes.
    const active = brokerMetrics.map((t) =>
      Number(/^kafka_controller_kafkacontroller_activecontrollercount (\d)/m.exec(t)?.[1]),
    );
    assert.equal(
      active.reduce((a, b) => a + b, 0),
      1,
    );
    assert.ok(
      brokerMetrics.some((t) =>
        /^kafka_server_brokertopicmetrics_messagesinpersec_total\{topic="payments"\} [1-9]/m.test(t),
      ),
      'the records produced are counted',
    );
  });

  it("passes promtool's rule check and the alerts' unit tests", () => {
    const rule = renderChart('keelson-system', { 'prometheusRule.enabled': true }).find(
      (o) => o.kind === 'PrometheusRule',
    ) as { spec: unknown } | undefined;
    assert.ok(rule, 'the chart renders a PrometheusRule');
    const dir = mkdtempSync(join(tmpdir(), 'keelson-rules-'));
    writeFileSync(join(dir, 'rules.yaml'), stringify(rule.spec));
    copyFileSync(join(fixtures, 'alerts.promtool.yaml'), join(dir, 'alerts.promtool.yaml'));
    for (const args of [
      ['check', 'rules', 'rules.yaml'],
      ['test', 'rules', 'alerts.promtool.yaml'],
    ]) {
      const result = spawnSync(promtoolBin, args, { cwd: dir, encoding: 'utf8' });
      assert.equal(result.status, 0, `promtool ${args.join(' ')}:\n${result.stdout}${result.stderr}`);
    }
  });

  const checkExpr = (where: string, expr: string) => {
    const { metrics, labels } = promqlNames(expr);
    for (const metric of metrics) {
      const known = exported.get(metric);
      assert.ok(known, `${where}: ${metric} is not exported by the operator or the brokers`);
    }
    const exportedLabels = new Set([...metrics].flatMap((m) => [...(exported.get(m) ?? [])]));
    for (const label of labels)
      if (!addedByScrape.has(label) && !builtIn.has(label))
        assert.ok(
          exportedLabels.has(label),
          `${where}: label ${label} is on no series of ${[...metrics].join(', ')}`,
        );
  };

  it('alerts and their tests name only series the operator and brokers export', () => {
    const rules = renderChart('keelson-system', { 'prometheusRule.enabled': true }).find(
      (o) => o.kind === 'PrometheusRule',
    ) as unknown as {
      spec: { groups: { rules: { alert: string; expr: string }[] }[] };
    };
    for (const group of rules.spec.groups) for (const r of group.rules) checkExpr(`alert ${r.alert}`, r.expr);
    const tests = parse(readFileSync(join(fixtures, 'alerts.promtool.yaml'), 'utf8')) as {
      tests: { name: string; input_series: { series: string }[] }[];
    };
    for (const test of tests.tests)
      for (const input of test.input_series) checkExpr(`test "${test.name}"`, input.series);
  });

  it('dashboards query only series the operator and brokers export', () => {
    const files = readdirSync(join(chartDir, 'dashboards')).filter((f) => f.endsWith('.json'));
    assert.deepEqual(files.sort(), ['brokers.json', 'cluster.json', 'operator.json']);
    let queries = 0;
    for (const file of files) {
      const dashboard = JSON.parse(readFileSync(join(chartDir, 'dashboards', file), 'utf8')) as {
        panels: { title: string; targets: { expr: string }[] }[];
        templating: { list: { name: string; query?: { query?: string } | string }[] };
      };
      for (const panel of dashboard.panels)
        for (const target of panel.targets) {
          checkExpr(`${file} "${panel.title}"`, target.expr.replaceAll('$', ''));
          queries++;
        }
      for (const variable of dashboard.templating.list) {
        const query = typeof variable.query === 'object' ? variable.query.query : undefined;
        const inner = query && /^label_values\((.*), \w+\)$/.exec(query)?.[1];
        if (inner) checkExpr(`${file} variable ${variable.name}`, inner.replaceAll('$', ''));
      }
    }
    assert.ok(queries >= 30, `only ${queries} queries`);
  });
});
