// Kubernetes API calls made directly: a path, a verb and JSON, over the
// KubeConfig's authentication and its kept connections (PooledKubeConfig).
// The client's generated API classes (which its KubeConfig module imports, see
// lean-client-loading.ts) cost 15 MB of heap, 42 MB resident and 0.3 s of
// start-up for the few calls Keelson makes. Objects go and come back as the
// API server takes and sends them: times are strings, not Date objects, and
// fields have their API names (`from`, `continue`), not the client's models'.
import type { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { HttpMethod, RequestContext } from '@kubernetes/client-node/dist/gen/http/http.js';
import { fetch } from 'undici';

/** An answer of the API server other than 2xx: `code` is its HTTP status, `body` its text (a Status, as JSON). */
export class KubernetesApiError extends Error {
  readonly code: number;
  readonly body: string;

  constructor(code: number, body: string, what: string) {
    super(`${what}: HTTP ${code}: ${statusMessage(body)}`);
    this.name = 'KubernetesApiError';
    this.code = code;
    this.body = body;
  }
}

const statusMessage = (body: string): string => {
  try {
    return (JSON.parse(body) as { message?: string }).message ?? body.slice(0, 500);
  } catch {
    return body.slice(0, 500);
  }
};

/** 404 Not Found, as undefined; anything else is rethrown. */
export const absentWhenNotFound = (err: unknown): undefined => {
  if ((err as { code?: unknown }).code === 404) return undefined;
  throw err;
};

/** A MicroTime (Lease and Event times): the API server wants six fractional digits. */
export const microTime = (date: Date): string => date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

export type Query = Record<string, string | number | boolean | undefined>;

/** A name or namespace as one path segment; `.` and `..` would move up the path, not name anything. */
const segment = (name: string): string => {
  if (name === '' || name === '.' || name === '..')
    throw new Error(`"${name}" is not a Kubernetes object name`);
  return encodeURIComponent(name);
};

/** The path of a resource collection, or of one object when `name` is given. */
export function resourcePath(
  apiVersion: string,
  plural: string,
  namespace?: string,
  name?: string,
  subresource?: string,
): string {
  const segments = [apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`];
  if (namespace) segments.push('namespaces', segment(namespace));
  segments.push(plural);
  if (name !== undefined) segments.push(segment(name));
  if (subresource) segments.push(subresource);
  return segments.join('/');
}

export const contentTypes = {
  json: 'application/json',
  mergePatch: 'application/merge-patch+json',
  jsonPatch: 'application/json-patch+json',
  /** Server-side apply takes YAML, of which JSON is a part. */
  apply: 'application/apply-patch+yaml',
} as const;

export class KubeApi {
  readonly config: KubeConfig;

  constructor(config: KubeConfig) {
    this.config = config;
  }

  async request<T>(
    method: HttpMethod,
    path: string,
    options: { query?: Query | undefined; body?: unknown; contentType?: string } = {},
  ): Promise<T> {
    const cluster = this.config.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig names no current cluster');
    const url = new URL(cluster.server.replace(/\/+$/, '') + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const context = new RequestContext(url.toString(), method);
    context.setHeaderParam('Accept', contentTypes.json);
    context.setHeaderParam('User-Agent', 'keelson');
    if (options.body !== undefined) {
      context.setHeaderParam('Content-Type', options.contentType ?? contentTypes.json);
      context.setBody(JSON.stringify(options.body));
    }
    await this.config.applySecurityAuthentication(context);
    const response = await fetch(context.getUrl(), {
      method,
      headers: context.getHeaders(),
      body: context.getBody() as string | undefined,
      dispatcher: context.getDispatcher(),
    });
    const text = await response.text();
    if (!response.ok) throw new KubernetesApiError(response.status, text, `${method} ${path}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>(HttpMethod.GET, path, { query });
  }

  create<T>(path: string, body: unknown, query?: Query): Promise<T> {
    return this.request<T>(HttpMethod.POST, path, { body, query });
  }

  replace<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>(HttpMethod.PUT, path, { body });
  }

  mergePatch<T>(path: string, patch: unknown): Promise<T> {
    return this.request<T>(HttpMethod.PATCH, path, { body: patch, contentType: contentTypes.mergePatch });
  }

  jsonPatch<T>(path: string, operations: { op: string; path: string; value?: unknown }[]): Promise<T> {
    return this.request<T>(HttpMethod.PATCH, path, { body: operations, contentType: contentTypes.jsonPatch });
  }

  /** Server-side apply of `object` as `fieldManager`, taking over fields others own (force). */
  apply<T>(path: string, object: unknown, fieldManager: string): Promise<T> {
    return this.request<T>(HttpMethod.PATCH, path, {
      body: object,
      contentType: contentTypes.apply,
      query: { fieldManager, force: true },
    });
  }

  /** Deletes, with DeleteOptions (preconditions, propagation) when given. */
  delete<T>(path: string, options?: Record<string, unknown>): Promise<T> {
    return this.request<T>(HttpMethod.DELETE, path, {
      body: options && { apiVersion: 'v1', kind: 'DeleteOptions', ...options },
    });
  }
}

/** The kinds Keelson applies, by their resource names (plural). */
const pluralOfKind: Readonly<Record<string, string>> = {
  ConfigMap: 'configmaps',
  NetworkPolicy: 'networkpolicies',
  PersistentVolumeClaim: 'persistentvolumeclaims',
  Pod: 'pods',
  PodDisruptionBudget: 'poddisruptionbudgets',
  Secret: 'secrets',
  Service: 'services',
};

/** The path of the object a namespaced manifest describes. */
export function objectPath(manifest: {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
}): string {
  const plural = pluralOfKind[manifest.kind ?? ''];
  const { name, namespace } = manifest.metadata ?? {};
  if (!plural || !manifest.apiVersion || !name || !namespace) {
    throw new Error(
      `cannot tell where a ${manifest.kind ?? 'manifest without a kind'} ${namespace ?? ''}/${name ?? ''} (apiVersion ${manifest.apiVersion ?? 'none'}) goes: Keelson applies ${Object.keys(pluralOfKind).join(', ')}, each with a name and a namespace`,
    );
  }
  return resourcePath(manifest.apiVersion, plural, namespace, name);
}
