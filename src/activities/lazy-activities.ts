// The worker registers every activity when it starts, but loading their
// modules (the Kafka client, which compiles its schemas as it loads, the AWS
// SDK's loader, our own) takes about half a second, which would delay the
// moment the worker polls (the README promises ready within 1 s). So the worker registers
// stand-ins that load the real activities on first use, and starts loading
// them in the background as soon as it polls; each stand-in then calls the
// real one in the same activity context (heartbeats, cancellation and logging
// work as before).
import type { KubeConfig } from '@kubernetes/client-node';
import { activityNames } from './activity-names.ts';
import type { Activities } from './index.ts';
import type { BackupPolicy } from '../domain/backup-policy.ts';
import type { ReconcilePolicy } from '../domain/reconcile-policy.ts';
import type { FinishedOperation } from './kubernetes/cluster.ts';
import type { CertificatesObserver } from './tls/certificates.ts';

export interface LazyActivities {
  activities: Activities;
  /** Loads the real activities (once; again after a failed load). */
  load: () => Promise<Activities>;
}

/** `kube` may still be loading (the operator loads the Kubernetes client while the worker starts). */
export function lazyActivities(deps: {
  kube: KubeConfig | Promise<KubeConfig>;
  maxConcurrentRolls?: number;
  backupPolicy?: BackupPolicy | undefined;
  reconcilePolicy?: ReconcilePolicy | undefined;
  onOperationFinished?: (operation: FinishedOperation) => void;
  onCertificates?: CertificatesObserver;
}): LazyActivities {
  let loading: Promise<Activities> | undefined;
  const load = (): Promise<Activities> =>
    (loading ??= Promise.all([import('./index.ts'), deps.kube])
      .then(([m, kube]) => m.createActivities({ ...deps, kube }))
      .catch((err: unknown) => {
        loading = undefined;
        throw err;
      }));
  const standIn =
    (name: (typeof activityNames)[number]) =>
    async (...args: unknown[]): Promise<unknown> => {
      const all = await load();
      return (all[name] as (...a: unknown[]) => Promise<unknown>).apply(all, args);
    };
  const activities = Object.fromEntries(activityNames.map((name) => [name, standIn(name)])) as Activities;
  return { activities, load };
}
