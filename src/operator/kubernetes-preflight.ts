// At start, and again every 30 seconds until it passes: the API server
// answers, Keelson's CRDs are served, and this process's identity may do what
// its half needs (a SelfSubjectAccessReview each, which any authenticated
// identity may ask). Each problem names the fix; they go to the ProblemBoard
// (logs and /readyz). The halves start meanwhile and retry on their own.
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeApi, resourcePath } from '../kubernetes/api.ts';
import { group, plural, version } from '../crd/kafka-cluster-names.ts';
import { userPlural } from '../crd/kafka-user-names.ts';
import { topicPlural } from '../crd/kafka-topic-names.ts';
import type { ProblemBoard } from './problems.ts';
import { missingLeaseNamespace } from './leader-election.ts';
import { sleep } from '../watch/list-watch.ts';

export interface KubernetesNeeds {
  watcher: boolean;
  worker: boolean;
  /** Managed namespaces; all when empty. */
  namespaces: string[];
  leaseNamespace: string | undefined;
}

interface Access {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace: string;
}

const core = '';
const watcherAccess = (namespace: string): Access[] => [
  { verb: 'list', group, resource: plural, namespace },
  { verb: 'watch', group, resource: plural, namespace },
  { verb: 'patch', group, resource: plural, subresource: 'status', namespace },
  { verb: 'watch', group, resource: userPlural, namespace },
  { verb: 'watch', group, resource: topicPlural, namespace },
  { verb: 'watch', group: core, resource: 'pods', namespace },
];
const workerAccess = (namespace: string): Access[] => [
  { verb: 'create', group: core, resource: 'pods', namespace },
  { verb: 'create', group: core, resource: 'persistentvolumeclaims', namespace },
  { verb: 'create', group: core, resource: 'services', namespace },
  { verb: 'create', group: core, resource: 'configmaps', namespace },
  { verb: 'create', group: core, resource: 'secrets', namespace },
  { verb: 'create', group: 'policy', resource: 'poddisruptionbudgets', namespace },
];
const leaseAccess = (namespace: string): Access[] =>
  ['get', 'create', 'update'].map((verb) => ({
    verb,
    group: 'coordination.k8s.io',
    resource: 'leases',
    namespace,
  }));

const describe = (a: Access) =>
  `${a.verb} ${a.group ? `${a.resource}.${a.group}` : a.resource}${a.subresource ? `/${a.subresource}` : ''}`;

function apiError(err: unknown, server: string): string {
  const code = (err as { code?: number }).code;
  if (code === 401)
    return `the Kubernetes API server at ${server} refused this process's credentials (401): check --kubeconfig (KUBECONFIG) or the pod's ServiceAccount token`;
  const message = err instanceof Error ? err.message : String(err);
  return `cannot reach the Kubernetes API server at ${server}: ${message}; check --kubeconfig (KUBECONFIG) or the in-cluster configuration`;
}

/** One look: every problem found, by check name. */
export async function kubernetesProblems(
  kube: KubeConfig,
  needs: KubernetesNeeds,
): Promise<Map<string, string>> {
  const server = kube.getCurrentCluster()?.server ?? 'unknown';
  const problems = new Map<string, string>();
  const api = new KubeApi(kube);
  try {
    const served = await api.get<{ resources: { name: string }[] }>(`/apis/${group}/${version}`);
    const names = new Set(served.resources.map((r) => r.name));
    const missing = [plural, userPlural, topicPlural].filter((name) => !names.has(name));
    if (missing.length > 0)
      problems.set(
        'kubernetes-crds',
        `the CRDs of ${missing.join(', ')} (${group}/${version}) are not installed: install the chart (helm install keelson deploy/helm/keelson) or kubectl apply -f deploy/helm/keelson/crds`,
      );
  } catch (err) {
    if ((err as { code?: number }).code === 404)
      problems.set(
        'kubernetes-crds',
        `Keelson's CRDs (${group}/${version}) are not installed: install the chart (helm install keelson deploy/helm/keelson) or kubectl apply -f deploy/helm/keelson/crds`,
      );
    else {
      problems.set('kubernetes', apiError(err, server));
      return problems;
    }
  }

  // A managed namespace that does not exist yet: its clusters cannot be there either, but say so.
  // The Lease's namespace too (the watcher tries the Lease only once Temporal answers).
  const exists = (name: string) =>
    api.get(resourcePath('v1', 'namespaces', undefined, name)).then(
      () => true,
      (err: { code?: number }) => err.code !== 404, // 403: not ours to know
    );
  for (const namespace of needs.namespaces) {
    if (!(await exists(namespace)))
      problems.set(
        `kubernetes-namespace-${namespace}`,
        `the managed namespace "${namespace}" does not exist: create it, or remove it from --namespace (KEELSON_NAMESPACES) and the chart's managedNamespaces`,
      );
  }
  if (needs.watcher && needs.leaseNamespace !== undefined && !(await exists(needs.leaseNamespace)))
    problems.set('kubernetes-lease-namespace', missingLeaseNamespace(needs.leaseNamespace));

  const namespaces = needs.namespaces.length > 0 ? needs.namespaces : [''];
  const wanted: Access[] = [
    ...(needs.watcher ? namespaces.flatMap(watcherAccess) : []),
    ...(needs.worker ? namespaces.flatMap(workerAccess) : []),
    ...(needs.watcher && needs.leaseNamespace !== undefined ? leaseAccess(needs.leaseNamespace) : []),
  ];
  const denied = new Map<string, string[]>();
  try {
    // Sixteen at a time: an operator managing fifty namespaces asks about six hundred.
    const answers: { status?: { allowed?: boolean } }[] = [];
    for (let start = 0; start < wanted.length; start += 16) {
      answers.push(
        ...(await Promise.all(
          wanted.slice(start, start + 16).map((access) =>
            api.create<{ status?: { allowed?: boolean } }>(
              resourcePath('authorization.k8s.io/v1', 'selfsubjectaccessreviews'),
              {
                apiVersion: 'authorization.k8s.io/v1',
                kind: 'SelfSubjectAccessReview',
                spec: { resourceAttributes: { ...access, namespace: access.namespace || undefined } },
              },
            ),
          ),
        )),
      );
    }
    answers.forEach((answer, index) => {
      const access = wanted[index];
      if (answer.status?.allowed || !access) return;
      denied.set(access.namespace, [...(denied.get(access.namespace) ?? []), describe(access)]);
    });
  } catch (err) {
    problems.set('kubernetes', apiError(err, server));
    return problems;
  }
  for (const [namespace, verbs] of denied) {
    const where = namespace ? `in namespace "${namespace}"` : 'cluster-wide';
    const fix =
      namespace && namespace === needs.leaseNamespace && verbs.every((v) => v.includes('leases'))
        ? "bind the chart's Role in the operator's namespace, or set --lease-namespace (KEELSON_LEASE_NAMESPACE)"
        : namespace
          ? `add "${namespace}" to the chart's managedNamespaces (a RoleBinding to the keelson-operator-manage ClusterRole there)`
          : "set the chart's clusterWide: true, or name the namespaces with --namespace (KEELSON_NAMESPACES) and bind the keelson-operator-manage ClusterRole in each";
    problems.set(
      `kubernetes-rbac-${namespace}`,
      `missing RBAC ${where}: may not ${verbs.join(', ')}; ${fix}`,
    );
  }
  return problems;
}

/** Looks until nothing is wrong (every 30 s while something is), then stops. */
export async function watchKubernetesPreflight(
  kube: KubeConfig,
  needs: KubernetesNeeds,
  board: ProblemBoard,
  stop: AbortSignal,
): Promise<void> {
  while (!stop.aborted) {
    const found = await kubernetesProblems(kube, needs);
    for (const [check, message] of found) board.set(check, message);
    board.clearAll('kubernetes', new Set(found.keys()));
    if (found.size === 0) return;
    await sleep(30_000, stop);
  }
}
