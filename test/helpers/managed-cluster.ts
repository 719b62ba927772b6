// A KafkaCluster "orders" in a fresh namespace, driven by a `keelson worker`
// process the test may kill: the set-up and clean-up that the end-to-end
// workflow tests share.
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { Client, Connection } from '@temporalio/client';
import { clusterWorkflowId, specSignal } from '../../src/workflows/messages.ts';
import { createNamespace, env } from './cluster.ts';
import { installCrd } from './crd.ts';
import { createKafkaCluster, readyAtGeneration } from './kafka-cluster.ts';
import { isReady } from './kafka.ts';
import { workerProcess } from './worker-process.ts';

export const clusterName = 'orders';

export interface ManagedCluster {
  namespace: string;
  uid: string;
  /** The task queue of its worker: another cluster's workflow started there is run by the same worker. */
  taskQueue: string;
  client: Client;
  worker: ReturnType<typeof workerProcess>;
  /** The cluster's pods, as they are now. */
  pods: () => Promise<V1Pod[]>;
  /** host:port of every ready broker pod. */
  bootstrap: () => Promise<string[]>;
  /** Starts the cluster workflow with generation 1. */
  startWorkflow: () => Promise<void>;
  close: () => Promise<void>;
}

export async function managedCluster(
  kubeconfig: KubeConfig,
  namespacePrefix: string,
  spec: unknown,
  /** More flags for the worker (e.g. a short --resync-interval). */
  workerArgs: string[] = [],
): Promise<ManagedCluster> {
  const core = kubeconfig.makeApiClient(CoreV1Api);
  const custom = kubeconfig.makeApiClient(CustomObjectsApi);
  const taskQueue = `${namespacePrefix}-${Date.now()}`;
  await installCrd(kubeconfig);
  const namespace = await createNamespace(core, namespacePrefix);
  const uid = await createKafkaCluster(custom, namespace, clusterName, spec);
  const connection = await Connection.connect({ address: env.temporal.address });
  const client = new Client({ connection, namespace: env.temporal.namespace });
  const worker = workerProcess(taskQueue, workerArgs);
  await worker.start();
  const pods = async () =>
    (await core.listNamespacedPod({ namespace, labelSelector: `keelson.dev/cluster=${clusterName}` })).items;
  return {
    namespace,
    uid,
    taskQueue,
    client,
    worker,
    pods,
    bootstrap: async () => (await pods()).filter((p) => isReady(p)).map((p) => `${p.status?.podIP}:9092`),
    async startWorkflow() {
      await client.workflow.signalWithStart('kafkaClusterWorkflow', {
        workflowId: clusterWorkflowId(namespace, clusterName),
        taskQueue,
        args: [{ namespace, name: clusterName, uid }],
        signal: specSignal,
        signalArgs: [{ uid, generation: 1 }],
      });
    },
    async close() {
      await client.workflow
        .getHandle(clusterWorkflowId(namespace, clusterName))
        .terminate('test finished')
        .catch(() => undefined);
      await worker.kill();
      await connection.close();
      await core.deleteNamespace({ name: namespace });
    },
  };
}

/** Starts the workflow and waits until the cluster is Ready at generation 1. */
export async function provisioned(kubeconfig: KubeConfig, cluster: ManagedCluster): Promise<void> {
  await cluster.startWorkflow();
  await readyAtGeneration(
    kubeconfig.makeApiClient(CustomObjectsApi),
    cluster.namespace,
    clusterName,
    1,
    300_000,
  );
}
