import type { V1Container, V1Pod } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expandReferences, PodConfigError, resolveEnv } from '../../../tools/testenv/node-agent/pod-env.ts';

const pod: V1Pod = {
  metadata: { name: 'kafka-0', namespace: 'team', labels: { 'keelson.dev/node-id': '0' } },
};
const facts = { podIP: '127.0.0.12', hostIP: '127.0.0.1', nodeName: 'node-zone-a' };
const sources = {
  configMaps: new Map([['settings', { MODE: 'combined' }]]),
  secrets: new Map([['creds', { PASSWORD: 's3cret' }]]),
};

describe('expandReferences', () => {
  it('expands defined variables, keeps unknown ones and unescapes $$', () => {
    const defined = new Map([['POD_IP', '127.0.0.12']]);
    assert.equal(expandReferences('PLAINTEXT://$(POD_IP):9092', defined), 'PLAINTEXT://127.0.0.12:9092');
    assert.equal(expandReferences('$(MISSING)-$$(POD_IP)', defined), '$(MISSING)-$(POD_IP)');
  });
});

describe('resolveEnv', () => {
  it('resolves field, ConfigMap and Secret references in order, as the kubelet does', () => {
    const container: V1Container = {
      name: 'kafka',
      envFrom: [{ configMapRef: { name: 'settings' }, prefix: 'CFG_' }],
      env: [
        { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'NODE_ID', valueFrom: { fieldRef: { fieldPath: "metadata.labels['keelson.dev/node-id']" } } },
        { name: 'LISTENERS', value: 'PLAINTEXT://$(POD_IP):9092' },
        { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'PASSWORD' } } },
        { name: 'EARLY', value: '$(LATE)' },
        { name: 'LATE', value: 'x' },
      ],
    };
    const env = resolveEnv(pod, container, facts, sources);
    assert.equal(env.get('CFG_MODE'), 'combined');
    assert.equal(env.get('NODE_ID'), '0');
    assert.equal(env.get('LISTENERS'), 'PLAINTEXT://127.0.0.12:9092');
    assert.equal(env.get('PASSWORD'), 's3cret');
    assert.equal(env.get('EARLY'), '$(LATE)', 'a reference to a later variable is not expanded');
  });
  it('fails with the missing object named, unless the reference is optional', () => {
    const missing: V1Container = {
      name: 'kafka',
      env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'absent', key: 'k' } } }],
    };
    assert.throws(
      () => resolveEnv(pod, missing, facts, sources),
      (err: Error) => err instanceof PodConfigError && /ConfigMap "absent" not found/.test(err.message),
    );
    const optional: V1Container = {
      name: 'kafka',
      env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'absent', key: 'k', optional: true } } }],
    };
    assert.equal(resolveEnv(pod, optional, facts, sources).has('X'), false);
  });
});
