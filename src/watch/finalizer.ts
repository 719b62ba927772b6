// The teardown finalizer on every KafkaCluster, so that deleting one runs the
// workflow's teardown before Kubernetes removes it (and garbage-collects what
// it owns). Added with the resourceVersion read, so a concurrent change makes
// the patch fail rather than lose the other change; the next event retries.
import { group, plural, version } from '../crd/kafka-cluster-names.ts';
import { resourcePath, type KubeApi } from '../kubernetes/api.ts';
import { teardownFinalizer } from '../domain/labels.ts';
import type { ClusterObject } from './kafka-cluster-watch.ts';

export async function ensureTeardownFinalizer(api: KubeApi, cluster: ClusterObject): Promise<void> {
  if (cluster.finalizers.includes(teardownFinalizer)) return;
  await api
    .mergePatch(resourcePath(`${group}/${version}`, plural, cluster.namespace, cluster.name), {
      metadata: {
        uid: cluster.uid,
        resourceVersion: cluster.resourceVersion,
        finalizers: [...cluster.finalizers, teardownFinalizer],
      },
    })
    .catch((err: { code?: number }) => {
      // 409: changed meanwhile, 404: gone; the watch brings the object again if it still needs one.
      if (err.code !== 409 && err.code !== 404) throw err;
    });
}
