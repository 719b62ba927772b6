import type { V1Node, V1Pod, V1Toleration } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseNode, nodeFitsPod, tolerates } from '../../../tools/testenv/node-agent/scheduling.ts';

const node = (name: string, zone: string): V1Node => ({
  metadata: { name, labels: { 'topology.kubernetes.io/zone': zone } },
});
const nodes = [node('node-zone-a', 'zone-a'), node('node-zone-b', 'zone-b'), node('node-zone-c', 'zone-c')];

describe('nodeFitsPod', () => {
  it('honours nodeSelector', () => {
    const pod: V1Pod = {
      spec: { containers: [], nodeSelector: { 'topology.kubernetes.io/zone': 'zone-b' } },
    };
    assert.deepEqual(
      nodes.filter((n) => nodeFitsPod(n, pod)).map((n) => n.metadata?.name),
      ['node-zone-b'],
    );
  });
  it('ORs node selector terms and ANDs their expressions', () => {
    const pod: V1Pod = {
      spec: {
        containers: [],
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                {
                  matchExpressions: [
                    { key: 'topology.kubernetes.io/zone', operator: 'In', values: ['zone-a'] },
                  ],
                },
                {
                  matchExpressions: [
                    { key: 'topology.kubernetes.io/zone', operator: 'Exists' },
                    { key: 'topology.kubernetes.io/zone', operator: 'NotIn', values: ['zone-a', 'zone-b'] },
                  ],
                },
              ],
            },
          },
        },
      },
    };
    assert.deepEqual(
      nodes.filter((n) => nodeFitsPod(n, pod)).map((n) => n.metadata?.name),
      ['node-zone-a', 'node-zone-c'],
    );
  });
});

describe('chooseNode', () => {
  it('spreads pods to the least loaded fitting node', () => {
    const pod: V1Pod = { spec: { containers: [] } };
    const load = new Map([
      ['node-zone-a', 2],
      ['node-zone-b', 1],
      ['node-zone-c', 1],
    ]);
    assert.equal(chooseNode(nodes, pod, load)?.metadata?.name, 'node-zone-b');
  });
  it('returns nothing when no node fits', () => {
    const pod: V1Pod = {
      spec: { containers: [], nodeSelector: { 'topology.kubernetes.io/zone': 'zone-x' } },
    };
    assert.equal(chooseNode(nodes, pod, new Map()), undefined);
  });
});

describe('taints and tolerations', () => {
  const tainted: V1Node = {
    metadata: { name: 'node-zone-a', labels: { 'topology.kubernetes.io/zone': 'zone-a' } },
    spec: { taints: [{ key: 'dedicated', value: 'kafka', effect: 'NoSchedule' }] },
  };
  const pod = (tolerations?: V1Toleration[]): V1Pod => ({
    spec: { containers: [], ...(tolerations ? { tolerations } : {}) },
  });
  it('keeps a pod off a Node whose NoSchedule taint it does not tolerate', () => {
    assert.equal(nodeFitsPod(tainted, pod()), false);
    assert.equal(nodeFitsPod(tainted, pod([{ key: 'dedicated', operator: 'Equal', value: 'other' }])), false);
  });
  it('lets a pod that tolerates the taint on', () => {
    assert.equal(
      nodeFitsPod(
        tainted,
        pod([{ key: 'dedicated', operator: 'Equal', value: 'kafka', effect: 'NoSchedule' }]),
      ),
      true,
    );
    assert.equal(nodeFitsPod(tainted, pod([{ key: 'dedicated', operator: 'Exists' }])), true);
    assert.equal(nodeFitsPod(tainted, pod([{ operator: 'Exists' }])), true);
  });
  it('matches effects and ignores PreferNoSchedule', () => {
    assert.equal(
      tolerates({ key: 'a', operator: 'Exists', effect: 'NoExecute' }, { key: 'a', effect: 'NoSchedule' }),
      false,
    );
    const soft: V1Node = {
      metadata: { name: 'n' },
      spec: { taints: [{ key: 'a', effect: 'PreferNoSchedule' }] },
    };
    assert.equal(nodeFitsPod(soft, pod()), true);
  });
  it("leaves the node lifecycle controller's own taints to it", () => {
    const notReady: V1Node = {
      metadata: { name: 'n' },
      spec: { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }] },
    };
    assert.equal(nodeFitsPod(notReady, pod()), true);
  });
});
