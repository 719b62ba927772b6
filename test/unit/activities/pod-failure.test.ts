import type { V1Pod } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { podFailure } from '../../../src/activities/kubernetes/pods.ts';

const unschedulable = (message: string): V1Pod => ({
  status: { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }] },
});
const waiting = (reason: string, restartCount = 3): V1Pod => ({
  status: {
    containerStatuses: [
      {
        name: 'kafka',
        image: 'x',
        imageID: '',
        ready: false,
        restartCount,
        state: { waiting: { reason, message: `${reason} detail` } },
      },
    ],
  },
});

describe('podFailure', () => {
  it('reports a pod no node can take', () => {
    assert.deepEqual(podFailure(unschedulable("0/3 nodes are available: 3 node(s) didn't match affinity")), {
      reason: 'Unschedulable',
      message: "0/3 nodes are available: 3 node(s) didn't match affinity",
    });
  });

  it('does not count waiting for its volume to be bound as a failure', () => {
    assert.equal(podFailure(unschedulable('pod has unbound immediate PersistentVolumeClaims')), undefined);
  });

  it('reports containers that cannot start, and not those merely starting', () => {
    for (const reason of ['ImagePullBackOff', 'CrashLoopBackOff', 'RunContainerError']) {
      assert.equal(podFailure(waiting(reason))?.reason, reason);
    }
    assert.equal(podFailure(waiting('ContainerCreating')), undefined);
  });

  it('does not count a container backing off after its first or second crash as crash-looping', () => {
    // The kubelet says CrashLoopBackOff from the first crash on (restartCount counts restarts done).
    assert.equal(podFailure(waiting('CrashLoopBackOff', 0)), undefined);
    assert.equal(podFailure(waiting('CrashLoopBackOff', 2)), undefined);
    assert.equal(podFailure(waiting('CrashLoopBackOff', 3))?.reason, 'CrashLoopBackOff');
    // Other stuck reasons do not cure themselves by restarting: they count at once.
    assert.equal(podFailure(waiting('ImagePullBackOff', 0))?.reason, 'ImagePullBackOff');
  });

  it('names a pod still there past its deletion deadline (its node lost), not one still in its grace period', () => {
    const deleting: V1Pod = { metadata: { deletionTimestamp: new Date('2026-11-30T01:00:00Z') } };
    assert.equal(podFailure(deleting, Date.parse('2026-11-30T00:59:00Z')), undefined);
    assert.equal(podFailure(deleting, Date.parse('2026-11-30T01:00:01Z'))?.reason, 'Terminating');
    assert.match(podFailure(deleting, Date.parse('2026-11-30T01:00:01Z'))?.message ?? '', /node may be lost/);
  });
});
