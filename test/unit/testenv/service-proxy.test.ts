// The test environment's stand-ins for kube-proxy and a load-balancer
// controller, as pure functions: which addresses a Service is reachable on,
// and the loopback address each LoadBalancer Service is given.
import type { V1Service } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assignLoadBalancerIps, serviceRoutes } from '../../../tools/testenv/node-agent/service-proxy.ts';

const service = (name: string, type: string, extra: Partial<V1Service> = {}): V1Service => ({
  metadata: { name, namespace: 'kafka' },
  spec: { type, selector: { app: name }, ports: [{ port: 9095, targetPort: 9095, nodePort: 31000 }] },
  ...extra,
});

describe('serviceRoutes', () => {
  it('listens on the node address for node ports and on the balancer address for its ports', () => {
    const balanced = service('lb', 'LoadBalancer', {
      status: { loadBalancer: { ingress: [{ ip: '127.251.0.3' }] } },
    });
    assert.deepEqual(
      serviceRoutes([service('np', 'NodePort'), balanced, service('internal', 'ClusterIP')]).map(
        (r) => `${r.bind}:${r.port}`,
      ),
      ['127.0.0.1:31000', '127.0.0.1:31000', '127.251.0.3:9095'],
    );
  });
  it('skips Services without a selector', () => {
    assert.deepEqual(
      serviceRoutes([{ ...service('np', 'NodePort'), spec: { type: 'NodePort', ports: [] } }]),
      [],
    );
  });
});

describe('assignLoadBalancerIps', () => {
  it('gives each new LoadBalancer Service a free address, keeping the given ones', () => {
    const kept = service('a', 'LoadBalancer', {
      status: { loadBalancer: { ingress: [{ ip: '127.251.0.1' }] } },
    });
    const fresh = [service('b', 'LoadBalancer'), service('c', 'LoadBalancer'), service('d', 'NodePort')];
    const { assigned, next } = assignLoadBalancerIps([kept, ...fresh]);
    assert.deepEqual(
      [...assigned].map(([s, ip]) => `${s.metadata?.name}=${ip}`),
      ['b=127.251.0.2', 'c=127.251.0.3'],
    );
    assert.equal(next, 4);
  });
  it('goes on from the last address given rather than back to a freed one, wrapping after 254', () => {
    assert.deepEqual(
      [...assignLoadBalancerIps([service('e', 'LoadBalancer')], 4).assigned.values()],
      ['127.251.0.4'],
    );
    const last = service('z', 'LoadBalancer', {
      status: { loadBalancer: { ingress: [{ ip: '127.251.0.254' }] } },
    });
    assert.deepEqual(
      [...assignLoadBalancerIps([last, service('f', 'LoadBalancer')], 254).assigned.values()],
      ['127.251.0.1'],
    );
  });
});
