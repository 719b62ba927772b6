// The worker registers every activity when it starts, but loading their
// modules (the Kafka client, which compiles its schemas as it loads, the AWS
// SDK's loader, our own) takes about half a second and 30 MB, which would
// delay the moment the worker polls and weigh on an idle operator. So the
// worker registers stand-ins that load the real activities on first use, in
// two parts: the activities that talk only to the API server and Temporal
// (kubernetes-activities.ts: all a pass of a paused, new or deleted cluster
// needs), and the rest (index.ts) the first time an activity of theirs runs.
// Each stand-in calls the real one in the same activity context (heartbeats,
// cancellation and logging work as before).
import type { KubeConfig } from '@kubernetes/client-node';
import { activityNames, kubernetesActivityNames } from './activity-names.ts';
import type { Activities } from './index.ts';
import type { BackupPolicy } from '../domain/backup-policy.ts';
import type { ReconcilePolicy } from '../domain/reconcile-policy.ts';
import type { FinishedOperation } from './kubernetes/cluster.ts';
import type { CertificatesObserver } from './tls/certificates.ts';

/** Loads once; again after a failed load. */
function once<T>(loader: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () =>
    (loading ??= loader().catch((err: unknown) => {
      loading = undefined;
      throw err;
    }));
}

/** `kube` may still be loading (the operator loads the Kubernetes client while the worker starts). */
export function lazyActivities(deps: {
  kube: KubeConfig | Promise<KubeConfig>;
  maxConcurrentRolls?: number;
  backupPolicy?: BackupPolicy | undefined;
  reconcilePolicy?: ReconcilePolicy | undefined;
  onOperationFinished?: (operation: FinishedOperation) => void;
  onCertificates?: CertificatesObserver;
}): Activities {
  const load = once(() =>
    Promise.all([import('./index.ts'), deps.kube]).then(([m, kube]) => m.createActivities({ ...deps, kube })),
  );
  const loadKubernetes = once(() =>
    Promise.all([import('./kubernetes-activities.ts'), deps.kube]).then(([m, kube]) =>
      m.createKubernetesActivities({ ...deps, kube }),
    ),
  );
  const standIn =
    (name: (typeof activityNames)[number]) =>
    async (...args: unknown[]): Promise<unknown> => {
      const all: Record<string, unknown> = kubernetesActivityNames.has(name)
        ? await loadKubernetes()
        : await load();
      return (all[name] as (...a: unknown[]) => Promise<unknown>).apply(all, args);
    };
  return Object.fromEntries(activityNames.map((name) => [name, standIn(name)])) as Activities;
}
