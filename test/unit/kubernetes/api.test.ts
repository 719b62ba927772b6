// Keelson's direct Kubernetes API calls: where each request goes, what it
// carries, and what a refusal says. A loopback HTTP server stands in for the
// API server here; the integration tests make the same calls to a real one.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import {
  KubeApi,
  KubernetesApiError,
  microTime,
  objectPath,
  resourcePath,
} from '../../../src/kubernetes/api.ts';

describe('resourcePath', () => {
  it('puts core and group resources, namespaced or not, where the API server serves them', () => {
    assert.equal(resourcePath('v1', 'pods', 'kafka', 'demo-0'), '/api/v1/namespaces/kafka/pods/demo-0');
    assert.equal(resourcePath('v1', 'nodes'), '/api/v1/nodes');
    assert.equal(
      resourcePath('keelson.dev/v1alpha1', 'kafkaclusters', 'kafka', 'demo', 'status'),
      '/apis/keelson.dev/v1alpha1/namespaces/kafka/kafkaclusters/demo/status',
    );
  });

  it('keeps a name to one segment, and refuses one that would move up the path', () => {
    assert.equal(
      resourcePath('v1', 'secrets', 'kafka', 'a/b?c'),
      '/api/v1/namespaces/kafka/secrets/a%2Fb%3Fc',
    );
    assert.throws(
      () => resourcePath('v1', 'secrets', 'kafka', '..'),
      /"\.\." is not a Kubernetes object name/,
    );
    assert.throws(() => resourcePath('v1', 'secrets', '..', 'x'), /not a Kubernetes object name/);
    assert.throws(() => resourcePath('v1', 'secrets', 'kafka', ''), /not a Kubernetes object name/);
  });
});

describe('objectPath', () => {
  it('finds the path of each kind Keelson applies', () => {
    const path = (apiVersion: string, kind: string) =>
      objectPath({ apiVersion, kind, metadata: { name: 'n', namespace: 'ns' } });
    assert.equal(path('v1', 'Pod'), '/api/v1/namespaces/ns/pods/n');
    assert.equal(
      path('policy/v1', 'PodDisruptionBudget'),
      '/apis/policy/v1/namespaces/ns/poddisruptionbudgets/n',
    );
    assert.equal(
      path('networking.k8s.io/v1', 'NetworkPolicy'),
      '/apis/networking.k8s.io/v1/namespaces/ns/networkpolicies/n',
    );
  });

  it('refuses a kind it does not know, or an object without a namespace, by name', () => {
    assert.throws(
      () =>
        objectPath({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'n', namespace: 'ns' } }),
      /cannot tell where a Deployment ns\/n \(apiVersion apps\/v1\) goes: Keelson applies ConfigMap, /,
    );
    assert.throws(
      () => objectPath({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'n' } }),
      /cannot tell where/,
    );
  });
});

describe('microTime', () => {
  it('writes six fractional digits', () => {
    assert.equal(microTime(new Date('2026-11-30T23:05:01.123Z')), '2026-11-30T23:05:01.123000Z');
  });
});

describe('KubeApi', () => {
  const seen: { method?: string; url?: string; headers: IncomingMessage['headers']; body: string }[] = [];
  let answer: { status: number; body: string } = { status: 200, body: '{}' };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
  });
  let api: KubeApi;

  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const kube = new KubeConfig();
    kube.loadFromOptions({
      clusters: [{ name: 'c', server: `http://127.0.0.1:${port}/`, skipTLSVerify: true }],
      users: [{ name: 'u', token: 'the-token' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    api = new KubeApi(kube);
  });
  after(() => server.close());

  it('sends a merge patch with its content type, the credentials and the query', async () => {
    answer = { status: 200, body: '{"metadata":{"name":"demo","creationTimestamp":"2026-11-30T00:00:00Z"}}' };
    const patched = await api.mergePatch<{ metadata: { creationTimestamp: string } }>(
      resourcePath('keelson.dev/v1alpha1', 'kafkaclusters', 'kafka', 'demo'),
      { metadata: { annotations: { a: 'b' } } },
    );
    // As the API server sends it: a time stays a string.
    assert.equal(patched.metadata.creationTimestamp, '2026-11-30T00:00:00Z');
    const request = seen.at(-1);
    assert.equal(request?.method, 'PATCH');
    assert.equal(request?.url, '/apis/keelson.dev/v1alpha1/namespaces/kafka/kafkaclusters/demo');
    assert.equal(request?.headers['content-type'], 'application/merge-patch+json');
    assert.equal(request?.headers.authorization, 'Bearer the-token');
    assert.deepEqual(JSON.parse(request?.body ?? ''), { metadata: { annotations: { a: 'b' } } });

    await api.apply(
      objectPath({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' } }),
      {},
      'keelson',
    );
    assert.equal(seen.at(-1)?.url, '/api/v1/namespaces/ns/pods/p?fieldManager=keelson&force=true');
    assert.equal(seen.at(-1)?.headers['content-type'], 'application/apply-patch+yaml');

    await api.get('/api/v1/pods', { labelSelector: 'a=b,c', limit: 500, continue: undefined });
    assert.equal(seen.at(-1)?.url, '/api/v1/pods?labelSelector=a%3Db%2Cc&limit=500');
  });

  it('sends DeleteOptions with a delete that has preconditions', async () => {
    answer = { status: 200, body: '{}' };
    await api.delete('/api/v1/namespaces/ns/pods/p', { preconditions: { uid: 'u-1' } });
    assert.deepEqual(JSON.parse(seen.at(-1)?.body ?? ''), {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      preconditions: { uid: 'u-1' },
    });
  });

  it('turns a refusal into an error with the HTTP status, the Status body and its message', async () => {
    const status = { kind: 'Status', code: 404, message: 'pods "p" not found', reason: 'NotFound' };
    answer = { status: 404, body: JSON.stringify(status) };
    const refused = await api.get('/api/v1/namespaces/ns/pods/p').catch((err: unknown) => err);
    assert.ok(refused instanceof KubernetesApiError);
    assert.equal(refused.code, 404);
    assert.deepEqual(JSON.parse(refused.body), status);
    assert.equal(refused.message, 'GET /api/v1/namespaces/ns/pods/p: HTTP 404: pods "p" not found');
  });
});
