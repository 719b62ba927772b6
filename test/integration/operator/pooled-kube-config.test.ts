// The operator's KubeConfig keeps its connections to the API server: counted
// by a TCP proxy in front of the real API server, a run of requests opens one
// connection (the client library alone opens one per request), a closed
// connection is replaced without a failed request, and a kubeconfig pointing
// elsewhere gets connections of its own.
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PooledKubeConfig } from '../../../src/operator/pooled-kube-config.ts';
import { adminKubeConfig } from '../../helpers/cluster.ts';
import { stallingProxy, type StallingProxy } from '../../helpers/stalling-proxy.ts';

const requests = 10;

function pooledThrough(proxy: StallingProxy): PooledKubeConfig {
  const kube = new PooledKubeConfig();
  kube.loadFromString(proxy.kubeconfig.exportConfig());
  return kube;
}

async function listNamespaces(kube: KubeConfig, times: number): Promise<void> {
  const core = kube.makeApiClient(CoreV1Api);
  for (let i = 0; i < times; i++) {
    const list = await core.listNamespace();
    assert.ok(list.items.some((n) => n.metadata?.name === 'default'));
  }
}

describe('PooledKubeConfig', () => {
  let proxy: StallingProxy;
  let other: StallingProxy;
  before(async () => {
    proxy = await stallingProxy(adminKubeConfig());
    other = await stallingProxy(adminKubeConfig());
  });
  after(async () => {
    await proxy.close();
    await other.close();
  });

  it(`makes ${requests} requests over one connection, where the client library alone opens ${requests}`, async () => {
    const before = proxy.connectionsAccepted();
    await listNamespaces(pooledThrough(proxy), requests);
    assert.equal(proxy.connectionsAccepted() - before, 1);

    const plain = new KubeConfig();
    plain.loadFromString(proxy.kubeconfig.exportConfig());
    const beforePlain = proxy.connectionsAccepted();
    await listNamespaces(plain, requests);
    assert.equal(proxy.connectionsAccepted() - beforePlain, requests);
  });

  it('replaces a connection the API server closed, without a failed request', async () => {
    const kube = pooledThrough(proxy);
    await listNamespaces(kube, 2);
    proxy.resetOpenConnections();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const before = proxy.connectionsAccepted();
    await listNamespaces(kube, 3);
    assert.equal(proxy.connectionsAccepted() - before, 1);
  });

  it('connects anew when the kubeconfig points at another server', async () => {
    const kube = pooledThrough(proxy);
    await listNamespaces(kube, 2);
    kube.loadFromString(other.kubeconfig.exportConfig());
    const before = other.connectionsAccepted();
    const beforeFirst = proxy.connectionsAccepted();
    await listNamespaces(kube, 3);
    assert.equal(other.connectionsAccepted() - before, 1);
    assert.equal(proxy.connectionsAccepted() - beforeFirst, 0);
  });
});
