// Our own list/watch loop for one kind of object (not the client's informer:
// it stops for good on the first non-410 error and asks for no
// bookmarks). Paged list, then watch from the list's resourceVersion with
// bookmarks; 410 Gone relists; a watch the server ends (timeoutSeconds) is
// resumed from the last resourceVersion at once; an error backs off
// exponentially; a watch connection that goes silent is dropped by the
// client's inactivity timer (30 s, longer than the 25 s after which the
// server ends every watch, so a healthy quiet watch never trips it) and
// resumed, and a list that gets no answer is given up after 30 s;
// objects are handled many at once, each object's events in order (keyed-queue.ts);
// everything is relisted every few minutes, so a missed event is delivered
// within that bound. A handler that fails on one object is reported and
// passed over: the other objects are still handled, and the next relist
// (brought forward, with backoff) tries that object again.
import type { KubeConfig } from '@kubernetes/client-node';
import { Watch } from '@kubernetes/client-node/dist/watch.js';
import { KubeApi } from '../kubernetes/api.ts';
import { KeyedQueue } from './keyed-queue.ts';

/** The parts of an object the handlers read, as the API server sends it. */
export interface RawObject {
  metadata?: {
    uid?: string;
    namespace?: string;
    name?: string;
    generation?: number;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    deletionTimestamp?: string;
  };
  status?: { conditions?: { type?: string; status?: string }[] };
}

export interface ObjectList {
  items: RawObject[];
  metadata?: { continue?: string; resourceVersion?: string };
}

/** What to list and watch: a collection in one namespace, or in all for ''. */
export interface WatchedCollection {
  path(namespace: string): string;
  labelSelector?: string;
}

/** A custom resource collection of group/version (keelson.dev/v1alpha1), in one namespace or in all. */
export function customObjects(group: string, version: string, plural: string): WatchedCollection {
  return {
    path: (namespace) =>
      namespace
        ? `/apis/${group}/${version}/namespaces/${namespace}/${plural}`
        : `/apis/${group}/${version}/${plural}`,
  };
}

export type WatchEventKind = 'list' | 'relist' | 'reconnect' | 'gone' | 'error' | 'handler-error';

export interface ListWatchHandlers {
  /** Every object of a list, and every ADDED or MODIFIED event. */
  changed(object: RawObject): Promise<void>;
  deleted(object: RawObject): Promise<void>;
  /** Counters for /metrics and logs. */
  event?(kind: WatchEventKind, detail?: string): void;
}

export interface WatchOptions {
  /** Namespaces to watch; all when empty. */
  namespaces: string[];
  /** Server-side end of each watch request. @default 25 */
  watchSeconds?: number;
  /** Full relist period. @default 300000 */
  resyncMs?: number;
  /** Objects handled at once (each object's events in order). @default 16 */
  concurrency?: number;
}

/** A list request that has not answered by then is given up (its connection may have gone silent). */
const listTimeoutMs = 30_000;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

/** Watches one namespace (or all, for ''), until `signal` aborts. */
async function watchScope(
  kube: KubeConfig,
  collection: WatchedCollection,
  namespace: string,
  handlers: ListWatchHandlers,
  options: WatchOptions,
  signal: AbortSignal,
): Promise<void> {
  const watcher = new Watch(kube);
  const api = new KubeApi(kube);
  const path = collection.path(namespace);
  const resyncMs = options.resyncMs ?? 300_000;
  let failures = 0;
  let handlerFailures = 0;
  let relistAt = 0;

  /** One object's trouble stays its own: reported, and retried at a relist brought forward. */
  const handle = async (kind: 'changed' | 'deleted', object: RawObject): Promise<void> => {
    try {
      await handlers[kind](object);
    } catch (err) {
      const m = object.metadata;
      handlers.event?.(
        'handler-error',
        `${m?.namespace ?? ''}/${m?.name ?? ''}: ${err instanceof Error ? err.message : String(err)}`,
      );
      relistAt = Math.min(relistAt, Date.now() + Math.min(resyncMs, 1_000 * 2 ** handlerFailures++));
    }
  };

  const queue = new KeyedQueue(options.concurrency ?? 16);
  const keyOf = (object: RawObject) => `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;

  const list = async (): Promise<string> => {
    let token: string | undefined;
    let resourceVersion = '';
    do {
      const query = { labelSelector: collection.labelSelector, limit: 500, continue: token };
      const page = await withTimeout(api.get<ObjectList>(path, query), listTimeoutMs, `list ${path}`);
      for (const item of page.items) void queue.push(keyOf(item), () => handle('changed', item));
      await queue.idle();
      token = page.metadata?.continue || undefined;
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
    } while (token);
    return resourceVersion;
  };

  while (!signal.aborted) {
    let resourceVersion: string;
    relistAt = Date.now() + resyncMs;
    const handlerFailuresBefore = handlerFailures;
    try {
      resourceVersion = await list();
      if (handlerFailures === handlerFailuresBefore) handlerFailures = 0;
      handlers.event?.('list');
      failures = 0;
    } catch (err) {
      handlers.event?.('error', `list ${path}: ${String(err)}`);
      await sleep(Math.min(30_000, 500 * 2 ** failures++), signal);
      continue;
    }
    // Watch from resourceVersion until a relist is due or needed.
    for (let relist = false; !relist && !signal.aborted && Date.now() < relistAt;) {
      const outcome = await new Promise<'ended' | 'gone' | 'error'>((resolve) => {
        let settled = false;
        const finish = (value: 'ended' | 'gone' | 'error') => {
          if (settled) return;
          settled = true;
          resolve(value);
        };
        // Events in the order they came; the resourceVersion moves on only past
        // events handled, and those before them: a watch resumed from it misses nothing.
        const unhandled: { rv: string | undefined; handled: boolean }[] = [];
        void watcher
          .watch(
            path,
            {
              resourceVersion,
              allowWatchBookmarks: true,
              timeoutSeconds: options.watchSeconds ?? 25,
              ...(collection.labelSelector ? { labelSelector: collection.labelSelector } : {}),
            },
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
              const entry = { rv, handled: false };
              unhandled.push(entry);
              void queue.push(keyOf(object), async () => {
                await handle(type === 'DELETED' ? 'deleted' : 'changed', object);
                entry.handled = true;
                while (unhandled[0]?.handled) {
                  const first = unhandled.shift();
                  if (first?.rv) resourceVersion = first.rv;
                }
              });
            },
            (err: unknown) => {
              void queue.idle().then(() => finish(err ? 'error' : 'ended'));
            },
          )
          .then((controller) => signal.addEventListener('abort', () => controller.abort(), { once: true }))
          .catch(() => finish('error'));
      });
      if (outcome === 'gone') {
        handlers.event?.('gone');
        relist = true;
      } else if (outcome === 'error') {
        if (signal.aborted) break;
        handlers.event?.('reconnect', `${path} after an error`);
        await sleep(Math.min(30_000, 500 * 2 ** failures++), signal);
      } else {
        failures = 0;
      }
    }
    if (!signal.aborted) handlers.event?.('relist');
  }
}

/** Lists and watches `collection` in every configured namespace until `signal` aborts. */
export async function listWatch(
  kube: KubeConfig,
  collection: WatchedCollection,
  handlers: ListWatchHandlers,
  options: WatchOptions,
  signal: AbortSignal,
): Promise<void> {
  const scopes = options.namespaces.length > 0 ? options.namespaces : [''];
  await Promise.all(scopes.map((ns) => watchScope(kube, collection, ns, handlers, options, signal)));
}
