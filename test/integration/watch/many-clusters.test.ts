// 100 KafkaClusters created at once (paused specs: no broker starts) against
// one `keelson operator` process: every one gets its workflow, which takes
// its generation and writes status; deleting them all lets every one go
// through its teardown. Time and the process's resident memory (from its own
// /metrics) are reported as diagnostics, not asserted (DESIGN: benchmarks
// measure, tests check behaviour).
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { group, plural, version } from '../../../src/crd/kafka-cluster.ts';
import { minimalSpec } from '../../fixtures/kafka-cluster-specs.ts';
import { adminKubeConfig, createNamespace, env, eventually } from '../../helpers/cluster.ts';
import { installCrd } from '../../helpers/crd.ts';
import { createKafkaCluster } from '../../helpers/kafka-cluster.ts';
import { keelsonProcess, type KeelsonProcess } from '../../helpers/worker-process.ts';

const clusters = 100;
const pausedSpec = { ...minimalSpec, paused: true };

describe(`${clusters} KafkaClusters at once`, () => {
  const kubeconfig = adminKubeConfig();
  const core = kubeconfig.makeApiClient(CoreV1Api);
  const custom = kubeconfig.makeApiClient(CustomObjectsApi);
  let namespace = '';
  let operator: KeelsonProcess;

  const list = async () =>
    (
      (await custom.listNamespacedCustomObject({ group, version, plural, namespace })) as {
        items: {
          metadata: { name: string; finalizers?: string[] };
          status?: { observedGeneration?: number };
        }[];
      }
    ).items;
  const residentMegabytes = async () => {
    const text = await (await fetch(`${operator.healthUrl()}/metrics`)).text();
    const bytes = Number(/^keelson_process_resident_memory_bytes (\d+)/m.exec(text)?.[1]);
    return Math.round(bytes / 1024 / 1024);
  };

  before(async () => {
    await installCrd(kubeconfig);
    namespace = await createNamespace(core, 'many');
    operator = keelsonProcess('operator', [
      `--kubeconfig=${env.kubeconfig}`,
      `--task-queue=many-${Date.now()}`,
      `--namespace=${namespace}`,
      '--no-leader-elect',
    ]);
    await operator.start();
  });

  after(async () => {
    await operator?.kill();
    if (namespace) await core.deleteNamespace({ name: namespace });
  });

  it('gives every one its workflow and status, and tears every one down when deleted', async (t) => {
    const idle = await residentMegabytes();
    const names = Array.from({ length: clusters }, (_, i) => `c${String(i).padStart(3, '0')}`);
    const started = Date.now();
    for (let i = 0; i < names.length; i += 10) {
      await Promise.all(
        names.slice(i, i + 10).map((name) => createKafkaCluster(custom, namespace, name, pausedSpec)),
      );
    }
    const created = Date.now();
    await eventually(
      `all ${clusters} to be observed at generation 1`,
      async () => {
        const items = await list();
        return items.length === clusters && items.every((c) => c.status?.observedGeneration === 1)
          ? true
          : undefined;
      },
      300_000,
      1_000,
    );
    const allObserved = Date.now();
    const loaded = await residentMegabytes();
    const items = await list();
    assert.ok(
      items.every((c) => c.metadata.finalizers?.includes('keelson.dev/teardown')),
      'each carries the teardown finalizer',
    );

    await Promise.all(
      names.map((name) => custom.deleteNamespacedCustomObject({ group, version, plural, namespace, name })),
    );
    await eventually(
      `all ${clusters} to be torn down and gone`,
      async () => ((await list()).length === 0 ? true : undefined),
      300_000,
      1_000,
    );
    const gone = Date.now();
    t.diagnostic(
      `created in ${created - started} ms; all observed ${allObserved - started} ms after the first create; all torn down ${gone - allObserved} ms after deletion; operator RSS ${idle} MB idle, ${loaded} MB with ${clusters} clusters`,
    );
  });
});
