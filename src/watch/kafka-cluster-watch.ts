// Our own list/watch loop for KafkaClusters (DESIGN §4: the client's
// informer stops for good on the first non-410 error and asks for no
// bookmarks). Paged list, then watch from the list's resourceVersion with
// bookmarks; 410 Gone relists; a watch the server ends (timeoutSeconds) is
// resumed from the last resourceVersion at once; an error backs off
// exponentially; a connection that goes silent is dropped by the client's
// inactivity timer (30 s) and resumed; everything is relisted every few
// minutes, so a missed event is delivered within that bound.
import { CustomObjectsApi, Watch, type KubeConfig } from '@kubernetes/client-node';
import { group, plural, version } from '../crd/kafka-cluster.ts';

export interface ClusterObject {
  uid: string;
  namespace: string;
  name: string;
  generation: number;
  annotations: Record<string, string>;
}

export interface WatchHandlers {
  changed(object: ClusterObject): Promise<void>;
  deleted(object: ClusterObject): Promise<void>;
  /** Counters for /metrics and logs. */
  event?(kind: 'list' | 'relist' | 'reconnect' | 'gone' | 'error', detail?: string): void;
}

export interface WatchOptions {
  /** Namespaces to watch; all when empty. */
  namespaces: string[];
  /** Server-side end of each watch request. @default 25 */
  watchSeconds?: number;
  /** Full relist period. @default 300000 */
  resyncMs?: number;
}

interface RawObject {
  metadata?: {
    uid?: string;
    namespace?: string;
    name?: string;
    generation?: number;
    resourceVersion?: string;
    annotations?: Record<string, string>;
  };
}

const toCluster = (raw: RawObject): ClusterObject | undefined => {
  const m = raw.metadata;
  if (!m?.uid || !m.namespace || !m.name) return undefined;
  return {
    uid: m.uid,
    namespace: m.namespace,
    name: m.name,
    generation: m.generation ?? 0,
    annotations: m.annotations ?? {},
  };
};

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

/** Watches one namespace (or all, for ''), until `signal` aborts. */
async function watchScope(
  kube: KubeConfig,
  namespace: string,
  handlers: WatchHandlers,
  options: WatchOptions,
  signal: AbortSignal,
): Promise<void> {
  const custom = kube.makeApiClient(CustomObjectsApi);
  const watcher = new Watch(kube);
  const path = namespace
    ? `/apis/${group}/${version}/namespaces/${namespace}/${plural}`
    : `/apis/${group}/${version}/${plural}`;
  const resyncMs = options.resyncMs ?? 300_000;
  let failures = 0;

  const list = async (): Promise<string> => {
    let token: string | undefined;
    let resourceVersion = '';
    do {
      const page = (await (namespace
        ? custom.listNamespacedCustomObject({
            group,
            version,
            plural,
            namespace,
            limit: 500,
            _continue: token,
          })
        : custom.listClusterCustomObject({ group, version, plural, limit: 500, _continue: token }))) as {
        items: RawObject[];
        metadata?: { continue?: string; resourceVersion?: string };
      };
      for (const item of page.items) {
        const cluster = toCluster(item);
        if (cluster) await handlers.changed(cluster);
      }
      token = page.metadata?.continue || undefined;
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
    } while (token);
    return resourceVersion;
  };

  while (!signal.aborted) {
    let resourceVersion: string;
    try {
      resourceVersion = await list();
      handlers.event?.('list');
      failures = 0;
    } catch (err) {
      handlers.event?.('error', `list: ${String(err)}`);
      await sleep(Math.min(30_000, 500 * 2 ** failures++), signal);
      continue;
    }
    const relistAt = Date.now() + resyncMs;
    // Watch from resourceVersion until a relist is due or needed.
    for (let relist = false; !relist && !signal.aborted && Date.now() < relistAt;) {
      const outcome = await new Promise<'ended' | 'gone' | 'error'>((resolve) => {
        let settled = false;
        const finish = (value: 'ended' | 'gone' | 'error') => {
          if (settled) return;
          settled = true;
          resolve(value);
        };
        let queue = Promise.resolve();
        void watcher
          .watch(
            path,
            { resourceVersion, allowWatchBookmarks: true, timeoutSeconds: options.watchSeconds ?? 25 },
            (type, object: RawObject & { code?: number }) => {
              if (type === 'ERROR') {
                if (object.code === 410) finish('gone');
                else finish('error');
                return;
              }
              const rv = object.metadata?.resourceVersion;
              if (type === 'BOOKMARK') {
                if (rv) resourceVersion = rv;
                return;
              }
              const cluster = toCluster(object);
              // Handled in order; the resourceVersion moves on only once handled.
              queue = queue.then(async () => {
                if (cluster)
                  await (type === 'DELETED' ? handlers.deleted(cluster) : handlers.changed(cluster));
                if (rv) resourceVersion = rv;
              });
            },
            (err: unknown) => {
              void queue.then(() => finish(err ? 'error' : 'ended'));
            },
          )
          .then((controller) => signal.addEventListener('abort', () => controller.abort(), { once: true }));
      });
      if (outcome === 'gone') {
        handlers.event?.('gone');
        relist = true;
      } else if (outcome === 'error') {
        handlers.event?.('reconnect', 'after an error');
        await sleep(Math.min(30_000, 500 * 2 ** failures++), signal);
      } else {
        failures = 0;
      }
    }
    if (!signal.aborted) handlers.event?.('relist');
  }
}

export async function watchKafkaClusters(
  kube: KubeConfig,
  handlers: WatchHandlers,
  options: WatchOptions,
  signal: AbortSignal,
): Promise<void> {
  const scopes = options.namespaces.length > 0 ? options.namespaces : [''];
  await Promise.all(scopes.map((ns) => watchScope(kube, ns, handlers, options, signal)));
}
