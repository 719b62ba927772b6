// The scratch KafkaCluster of a restore drill: created for the drill with the
// teardown finalizer and the drill's label, owned by the cluster whose backup
// it checks (deleted with it), its workflow started as the watcher would
// start it; waited for until Ready; deleted when the drill ends. A
// KafkaCluster of that name that is not this cluster's drill is never touched.
import { Context, heartbeat, sleep } from '@temporalio/activity';
import type { KubeConfig } from '@kubernetes/client-node';
import { absentWhenNotFound, KubeApi, resourcePath } from '../../kubernetes/api.ts';
import {
  apiVersion,
  group,
  kind,
  plural,
  version,
  type KafkaClusterStatus,
} from '../../crd/kafka-cluster.ts';
import { teardownFinalizer } from '../../domain/labels.ts';
import { restoreDrillOfLabel } from '../../domain/restore-drill.ts';
import { clusterWorkflowId, signalNames } from '../../domain/workflow-ids.ts';
import { failure } from '../../domain/failures.ts';

interface ScratchObject {
  metadata: {
    uid: string;
    generation: number;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    ownerReferences?: { uid: string }[];
  };
  status?: KafkaClusterStatus;
}

const codeOf = (err: unknown): number | undefined => (err as { code?: number }).code;

export function scratchClusterActivities(kube: KubeConfig) {
  const api = new KubeApi(kube);
  const path = (namespace: string, name?: string) =>
    resourcePath(`${group}/${version}`, plural, namespace, name);
  const read = (namespace: string, name: string): Promise<ScratchObject | undefined> =>
    api.get<ScratchObject>(path(namespace, name)).catch(absentWhenNotFound);
  return {
    /** Creates the scratch cluster (or takes the one an earlier attempt of this drill created) and starts its workflow. */
    async createScratchCluster(input: {
      namespace: string;
      name: string;
      source: { name: string; uid: string };
      spec: Record<string, unknown>;
    }): Promise<{ uid: string }> {
      const { namespace, name, source } = input;
      let object: ScratchObject;
      try {
        object = await api.create<ScratchObject>(path(namespace), {
          apiVersion,
          kind,
          metadata: {
            name,
            labels: { [restoreDrillOfLabel]: source.name },
            // Torn down by its workflow like any cluster, before Kubernetes removes it.
            finalizers: [teardownFinalizer],
            ownerReferences: [{ apiVersion, kind, name: source.name, uid: source.uid }],
          },
          spec: input.spec,
        });
      } catch (err) {
        if (codeOf(err) !== 409) throw err;
        const existing = await read(namespace, name);
        if (!existing)
          throw new Error(`KafkaCluster ${namespace}/${name} was deleted while it was created`, {
            cause: err,
          });
        const ours =
          existing.metadata.labels?.[restoreDrillOfLabel] === source.name &&
          (existing.metadata.ownerReferences ?? []).some((o) => o.uid === source.uid);
        if (!ours) {
          throw failure(
            'OwnedByAnotherCluster',
            `KafkaCluster ${namespace}/${name} exists and is not the scratch cluster of ${source.name}'s restore drills; the drill leaves it alone (rename it to let drills run)`,
          );
        }
        // An earlier drill's scratch cluster still being torn down: tried again until it is gone.
        if (existing.metadata.deletionTimestamp)
          throw new Error(
            `the scratch cluster ${namespace}/${name} of an earlier drill is still being deleted`,
            { cause: err },
          );
        object = existing;
      }
      const uid = object.metadata.uid;
      await Context.current().client.workflow.signalWithStart('kafkaClusterWorkflow', {
        workflowId: clusterWorkflowId(namespace, name),
        taskQueue: Context.current().info.taskQueue,
        args: [{ namespace, name, uid }],
        signal: signalNames.spec,
        signalArgs: [{ uid, generation: object.metadata.generation }],
      });
      return { uid };
    },

    /** Waits until the scratch cluster is Ready (heartbeating); fails when it is not within `timeoutMs`. */
    async waitForClusterReady(input: {
      namespace: string;
      name: string;
      uid: string;
      timeoutMs: number;
    }): Promise<void> {
      const deadline = Date.now() + input.timeoutMs;
      for (;;) {
        const object = await read(input.namespace, input.name);
        if (!object || object.metadata.uid !== input.uid) {
          throw failure('ClusterGone', `the scratch cluster ${input.namespace}/${input.name} was deleted`);
        }
        const ready = object.status?.conditions?.find((c) => c.type === 'Ready');
        if (
          ready?.status === 'True' &&
          (object.status?.observedGeneration ?? 0) >= object.metadata.generation
        )
          return;
        heartbeat({ ready: ready?.reason ?? 'no condition yet' });
        if (Date.now() > deadline) {
          throw failure(
            'ScratchClusterNotReady',
            `the scratch cluster ${input.namespace}/${input.name} was not Ready within ${Math.round(input.timeoutMs / 60_000)} minutes (${ready?.message ?? 'no Ready condition'})`,
          );
        }
        await sleep(2_000);
      }
    },

    /** Deletes the scratch cluster (this incarnation only) and tells its workflow, which tears it down. */
    async deleteScratchCluster(input: { namespace: string; name: string; uid: string }): Promise<void> {
      const object = await read(input.namespace, input.name);
      if (!object || object.metadata.uid !== input.uid) return;
      await api
        .delete(path(input.namespace, input.name), { preconditions: { uid: input.uid } })
        .catch((err: unknown) => {
          if (codeOf(err) !== 404 && codeOf(err) !== 409) throw err;
        });
      await Context.current()
        .client.workflow.getHandle(clusterWorkflowId(input.namespace, input.name))
        .signal(signalNames.drift, { reason: 'restore drill finished', deleting: true })
        .catch(() => undefined); // not running: nothing to tear down
    },
  };
}
