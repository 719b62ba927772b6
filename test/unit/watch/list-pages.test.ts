// The watcher's list follows the API server's continue tokens to the last
// page: an operator with more than 500 broker pods sees them all when it
// starts (the list asks 500 at a time). The owned-pod watch once read the
// token from a field the generated client had renamed, and stopped after the
// first page. A loopback HTTP server answers as the
// API server does (pages, then a watch that ends at once); the integration
// tests run the same loop against a real one.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { listWatch, type RawObject } from '../../../src/watch/list-watch.ts';
import { watchOwnedObjects } from '../../../src/watch/owned-objects.ts';

/** A broker pod, not ready: the owned-object watch reports each such pod it is first told of. */
const pod = (name: string): RawObject => ({
  metadata: { namespace: 'kafka', name, uid: name, labels: { 'keelson.dev/cluster': 'orders' } },
  status: { conditions: [{ type: 'Ready', status: 'False' }] },
});

describe('listWatch', () => {
  const lists: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    res.writeHead(200, { 'content-type': 'application/json' });
    if (url.searchParams.get('watch') === 'true') {
      res.end(); // a watch the server ends at once: resumed from the last resourceVersion
      return;
    }
    lists.push(url.pathname + url.search);
    const page = url.searchParams.get('continue');
    if (url.pathname.endsWith('/persistentvolumeclaims')) {
      res.end(JSON.stringify({ items: [], metadata: { resourceVersion: '7' } }));
      return;
    }
    res.end(
      JSON.stringify(
        page === null
          ? { items: [pod('a-0'), pod('a-1')], metadata: { continue: 'page-2', resourceVersion: '7' } }
          : page === 'page-2'
            ? { items: [pod('b-0')], metadata: { continue: 'page-3', resourceVersion: '7' } }
            : { items: [pod('c-0')], metadata: { resourceVersion: '7' } },
      ),
    );
  });
  let kube: KubeConfig;

  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    kube = new KubeConfig();
    kube.loadFromOptions({
      clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
  });
  after(() => server.close());

  it('lists every page, with the label selector on each request', async () => {
    const seen: string[] = [];
    const stop = new AbortController();
    const watching = listWatch(
      kube,
      { path: (ns) => `/api/v1/namespaces/${ns}/pods`, labelSelector: 'keelson.dev/cluster' },
      {
        changed: async (object) => {
          seen.push(object.metadata?.name ?? '');
          if (seen.length === 4) stop.abort();
        },
        deleted: async () => undefined,
      },
      { namespaces: ['kafka'] },
      stop.signal,
    );
    const timeout = setTimeout(() => stop.abort(), 10_000);
    await watching;
    clearTimeout(timeout);
    assert.deepEqual(seen.sort(), ['a-0', 'a-1', 'b-0', 'c-0']);
    assert.deepEqual(lists.slice(0, 3), [
      '/api/v1/namespaces/kafka/pods?labelSelector=keelson.dev%2Fcluster&limit=500',
      '/api/v1/namespaces/kafka/pods?labelSelector=keelson.dev%2Fcluster&limit=500&continue=page-2',
      '/api/v1/namespaces/kafka/pods?labelSelector=keelson.dev%2Fcluster&limit=500&continue=page-3',
    ]);
  });

  it('the owned-pod watch sees the pods of every page', async () => {
    const reported: string[] = [];
    const stop = new AbortController();
    const timeout = setTimeout(() => stop.abort(), 10_000);
    await watchOwnedObjects(
      kube,
      async (object, reason) => {
        reported.push(`${object.name}: ${reason}`);
        if (reported.length === 4) stop.abort();
      },
      { namespaces: ['kafka'] },
      stop.signal,
    );
    clearTimeout(timeout);
    assert.deepEqual(reported.sort(), [
      'a-0: pod a-0 not ready',
      'a-1: pod a-1 not ready',
      'b-0: pod b-0 not ready',
      'c-0: pod c-0 not ready',
    ]);
  });
});
