// Resolves a container's environment as the kubelet does: envFrom first, then
// env in order; valueFrom field, ConfigMap and Secret references; and
// $(VAR) references to variables defined earlier ($$ escapes a dollar).
import type { V1Container, V1Pod } from '@kubernetes/client-node';

/** What the agent knows about the pod when it starts it. */
export interface PodRuntimeFacts {
  podIP: string;
  hostIP: string;
  nodeName: string;
}

export interface EnvSources {
  configMaps: ReadonlyMap<string, Record<string, string>>;
  secrets: ReadonlyMap<string, Record<string, string>>;
}

export class PodConfigError extends Error {}

/** Expands $(NAME) with the variables defined so far; unknown references stay as written. */
export function expandReferences(value: string, defined: ReadonlyMap<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (name === undefined) return '$';
    return defined.get(name) ?? match;
  });
}

function fieldValue(pod: V1Pod, facts: PodRuntimeFacts, fieldPath: string): string {
  const meta = pod.metadata ?? {};
  const labelOrAnnotation = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (labelOrAnnotation) {
    const map = labelOrAnnotation[1] === 'labels' ? meta.labels : meta.annotations;
    return map?.[labelOrAnnotation[2] ?? ''] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
    case 'spec.nodeName':
      return facts.nodeName;
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? 'default';
    case 'status.podIP':
    case 'status.podIPs':
      return facts.podIP;
    case 'status.hostIP':
    case 'status.hostIPs':
      return facts.hostIP;
    default:
      throw new PodConfigError(`unsupported fieldRef ${fieldPath}`);
  }
}

function lookup(
  sources: ReadonlyMap<string, Record<string, string>>,
  kind: string,
  name: string,
  key: string,
  optional: boolean | undefined,
): string | undefined {
  const data = sources.get(name);
  if (data === undefined) {
    if (optional) return undefined;
    throw new PodConfigError(`${kind} "${name}" not found`);
  }
  const value = data[key];
  if (value === undefined && !optional)
    throw new PodConfigError(`key "${key}" not found in ${kind} "${name}"`);
  return value;
}

export function resolveEnv(
  pod: V1Pod,
  container: V1Container,
  facts: PodRuntimeFacts,
  sources: EnvSources,
): Map<string, string> {
  const env = new Map<string, string>();
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    const ref = from.configMapRef ?? from.secretRef;
    const kind = from.configMapRef ? 'ConfigMap' : 'Secret';
    const data = (from.configMapRef ? sources.configMaps : sources.secrets).get(ref?.name ?? '');
    if (data === undefined) {
      if (ref?.optional) continue;
      throw new PodConfigError(`${kind} "${ref?.name}" not found`);
    }
    for (const [key, value] of Object.entries(data)) env.set(prefix + key, value);
  }
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    let value: string | undefined;
    if (from === undefined) value = expandReferences(variable.value ?? '', env);
    else if (from.fieldRef) value = fieldValue(pod, facts, from.fieldRef.fieldPath);
    else if (from.configMapKeyRef) {
      const ref = from.configMapKeyRef;
      value = lookup(sources.configMaps, 'ConfigMap', ref.name ?? '', ref.key, ref.optional);
    } else if (from.secretKeyRef) {
      const ref = from.secretKeyRef;
      value = lookup(sources.secrets, 'Secret', ref.name ?? '', ref.key, ref.optional);
    } else throw new PodConfigError(`env ${variable.name}: unsupported valueFrom`);
    if (value !== undefined) env.set(variable.name, value);
  }
  return env;
}
