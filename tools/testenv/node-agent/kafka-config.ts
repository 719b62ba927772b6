// How the agent turns a pod into a Kafka broker command line, following the
// documented start-up of the official apache/kafka image so that the same pod
// spec works here and on a real cluster:
//   1. the Kafka version is the image tag (apache/kafka:3.9.1 → 3.9.1);
//   2. /mnt/shared/config/server.properties, when mounted, is the base config;
//   3. every KAFKA_* environment variable overrides one property
//      (KAFKA_NODE_ID → node.id; "_" is ".", "__" is "_", "___" is "-");
//   4. CLUSTER_ID, when set, formats the log directories once.
// Container paths in property values are mapped to the host directories that
// back the pod's volume mounts.

import { propertyValue } from '../../../src/domain/manifests/config.ts';

/** Environment variables the image reads itself rather than turning into properties. */
const imageVariables = new Set([
  'KAFKA_HEAP_OPTS',
  'KAFKA_OPTS',
  'KAFKA_JVM_PERFORMANCE_OPTS',
  'KAFKA_LOG4J_OPTS',
  'KAFKA_GC_LOG_OPTS',
  'KAFKA_JMX_OPTS',
  'KAFKA_DEBUG',
]);

export const baseConfigPath = '/mnt/shared/config/server.properties';

export class UnsupportedImageError extends Error {}

export function kafkaVersionFromImage(image: string, supported: readonly string[]): string {
  const withoutDigest = image.split('@')[0] ?? image;
  const colon = withoutDigest.lastIndexOf(':');
  const repository = colon > withoutDigest.lastIndexOf('/') ? withoutDigest.slice(0, colon) : withoutDigest;
  const tag = colon > withoutDigest.lastIndexOf('/') ? withoutDigest.slice(colon + 1) : 'latest';
  if (!/(^|\/)kafka$/.test(repository)) {
    throw new UnsupportedImageError(
      `image ${image} is not a Kafka image (expected e.g. apache/kafka:${supported[0]})`,
    );
  }
  if (!supported.includes(tag)) {
    throw new UnsupportedImageError(
      `Kafka ${tag} is not available in the test environment (have ${supported.join(', ')})`,
    );
  }
  return tag;
}

export function propertyNameFromEnv(variable: string): string | undefined {
  if (!variable.startsWith('KAFKA_') || imageVariables.has(variable)) return undefined;
  const encoded = variable.slice('KAFKA_'.length).toLowerCase();
  return encoded.replace(/___|__|_/g, (run) => (run === '___' ? '-' : run === '__' ? '_' : '.'));
}

/**
 * Reads a properties file as java.util.Properties does, so the agent hands
 * Kafka the values a real broker would read: a line ending in an odd number
 * of backslashes continues on the next, and escapes (\\, \n, \t, \uXXXX, …)
 * stand for their characters.
 */
export function parseProperties(text: string): Map<string, string> {
  const properties = new Map<string, string>();
  const lines = text.split(/\r?\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    let line = (lines[i] ?? '').replace(/^[ \t\f]+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + (lines[++i] ?? '').replace(/^[ \t\f]+/, '');
    }
    line = line.replace(/(^|[^\\])((\\\\)*)\\$/, '$1$2'); // a continuation with no next line
    const separator = /(^|[^\\])(\\\\)*[=: \t\f]/.exec(line);
    const at = separator ? separator.index + separator[0].length - 1 : line.length;
    const key = line.slice(0, at);
    const value = line.slice(at).replace(/^[ \t\f]*[=:]?[ \t\f]*/, '');
    properties.set(unescapeProperty(key), unescapeProperty(value));
  }
  return properties;
}

const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', f: '\f' };
function unescapeProperty(text: string): string {
  return text.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, c: string) =>
    c.length === 5 ? String.fromCharCode(parseInt(c.slice(1), 16)) : (escapes[c] ?? c),
  );
}

export function renderProperties(properties: ReadonlyMap<string, string>): string {
  return [...properties].map(([key, value]) => `${key}=${propertyValue(value)}`).join('\n') + '\n';
}

export function mergeEnvIntoProperties(
  base: ReadonlyMap<string, string>,
  env: ReadonlyMap<string, string>,
): Map<string, string> {
  const merged = new Map(base);
  for (const [variable, value] of env) {
    const name = propertyNameFromEnv(variable);
    if (name !== undefined) merged.set(name, value);
  }
  return merged;
}

export interface PathMapping {
  containerPath: string;
  hostPath: string;
}

/** Maps a container path to the host, through the longest matching mount. */
export function hostPathFor(containerPath: string, mounts: readonly PathMapping[]): string | undefined {
  const match = [...mounts]
    .sort((a, b) => b.containerPath.length - a.containerPath.length)
    .find(
      (m) =>
        containerPath === m.containerPath ||
        containerPath.startsWith(`${m.containerPath.replace(/\/$/, '')}/`),
    );
  return match && match.hostPath + containerPath.slice(match.containerPath.replace(/\/$/, '').length);
}

/** Rewrites the absolute paths in JVM options (e.g. -javaagent:/a.jar=port:/b.yaml) that lie under a mount. */
export function mapJavaOptionPaths(
  options: string | undefined,
  mounts: readonly PathMapping[],
): string | undefined {
  return options?.replace(
    /(^|[\s=:])(\/[^\s:=,]+)/g,
    (_match, before: string, path: string) => `${before}${hostPathFor(path, mounts) ?? path}`,
  );
}

/** Rewrites every comma-separated absolute path in property values that lies under a mount. */
export function mapPropertyPaths(
  properties: ReadonlyMap<string, string>,
  mounts: readonly PathMapping[],
): Map<string, string> {
  const mapped = new Map<string, string>();
  for (const [key, value] of properties) {
    const parts = value
      .split(',')
      .map((part) => (part.startsWith('/') ? (hostPathFor(part, mounts) ?? part) : part));
    mapped.set(key, parts.join(','));
  }
  return mapped;
}
