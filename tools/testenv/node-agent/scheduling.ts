// The node agent's scheduler, as a pure function: which of the fake Nodes may
// run a pod, honouring spec.nodeSelector, required node affinity (the
// fields the operator uses to pin brokers to zones) and the NoSchedule and
// NoExecute taints of a Node against the pod's tolerations. Preferred
// affinity, pod (anti-)affinity and resources are not considered (see
// tools/testenv/README.md).
import type {
  V1Node,
  V1NodeSelectorRequirement,
  V1Pod,
  V1Taint,
  V1Toleration,
} from '@kubernetes/client-node';

/** Whether a toleration tolerates a taint, as the scheduler's TaintToleration plugin decides. */
export function tolerates(toleration: V1Toleration, taint: V1Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key === undefined || toleration.key === '') return toleration.operator === 'Exists';
  if (toleration.key !== taint.key) return false;
  return toleration.operator === 'Exists' || (toleration.value ?? '') === (taint.value ?? '');
}

/**
 * The Node's taints that keep this pod off it (PreferNoSchedule only
 * prefers, so never). The node lifecycle controller's own taints
 * (node.kubernetes.io/*) are left out: it judges these fake Nodes' health
 * on its own schedule, and the agent has its own zone outages.
 */
export function untoleratedTaints(node: V1Node, pod: V1Pod): V1Taint[] {
  return (node.spec?.taints ?? []).filter(
    (taint) =>
      taint.effect !== 'PreferNoSchedule' &&
      !taint.key.startsWith('node.kubernetes.io/') &&
      !(pod.spec?.tolerations ?? []).some((t) => tolerates(t, taint)),
  );
}

function matchesRequirement(labels: Record<string, string>, req: V1NodeSelectorRequirement): boolean {
  const value = labels[req.key];
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      const have = Number(value);
      const limit = Number(values[0]);
      if (value === undefined || Number.isNaN(have) || Number.isNaN(limit)) return false;
      return req.operator === 'Gt' ? have > limit : have < limit;
    }
    default:
      return false;
  }
}

export function nodeFitsPod(node: V1Node, pod: V1Pod): boolean {
  if (untoleratedTaints(node, pod).length > 0) return false;
  const labels = node.metadata?.labels ?? {};
  for (const [key, value] of Object.entries(pod.spec?.nodeSelector ?? {})) {
    if (labels[key] !== value) return false;
  }
  const terms =
    pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms === undefined || terms.length === 0) return true;
  // Terms are ORed; the requirements inside one term are ANDed.
  return terms.some((term) => (term.matchExpressions ?? []).every((req) => matchesRequirement(labels, req)));
}

/**
 * Picks the node for a pod: among the nodes that fit, the one running the
 * fewest pods (ties broken by name, so the choice is reproducible).
 */
export function chooseNode(
  nodes: readonly V1Node[],
  pod: V1Pod,
  podsPerNode: ReadonlyMap<string, number>,
): V1Node | undefined {
  return nodes
    .filter((node) => nodeFitsPod(node, pod))
    .sort((a, b) => {
      const byLoad =
        (podsPerNode.get(a.metadata?.name ?? '') ?? 0) - (podsPerNode.get(b.metadata?.name ?? '') ?? 0);
      return byLoad !== 0 ? byLoad : (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
    })[0];
}
