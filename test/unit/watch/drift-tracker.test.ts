import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DriftTracker, toOwnedObject } from '../../../src/watch/owned-objects.ts';

const pod = (uid: string, ready: boolean) =>
  toOwnedObject('Pod', {
    metadata: { uid, namespace: 'ns', name: `kafka-${uid}`, labels: { 'keelson.dev/cluster': 'orders' } },
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });

describe('DriftTracker', () => {
  it('reports a pod turning unready once, not while it stays unready', () => {
    const tracker = new DriftTracker();
    const ready = pod('0', true);
    const unready = pod('0', false);
    assert.ok(ready && unready);
    assert.equal(tracker.changed(ready), undefined);
    assert.equal(tracker.changed(unready), 'pod kafka-0 not ready');
    assert.equal(tracker.changed(unready), undefined, 'a relist of the same state is quiet');
    assert.equal(tracker.changed(ready), undefined);
    assert.equal(tracker.changed(unready), 'pod kafka-0 not ready');
  });

  it('reports a pod first seen unready (e.g. after the operator restarted during an outage)', () => {
    const unready = pod('1', false);
    assert.ok(unready);
    assert.equal(new DriftTracker().changed(unready), 'pod kafka-1 not ready');
  });

  it('reports every deletion of a pod or claim', () => {
    const tracker = new DriftTracker();
    const claim = toOwnedObject('PersistentVolumeClaim', {
      metadata: {
        uid: 'c',
        namespace: 'ns',
        name: 'data-kafka-0',
        labels: { 'keelson.dev/cluster': 'orders' },
      },
    });
    assert.ok(claim);
    assert.equal(tracker.deleted(claim), 'claim data-kafka-0 deleted');
    const ready = pod('2', true);
    assert.ok(ready);
    assert.equal(tracker.deleted(ready), 'pod kafka-2 deleted');
  });

  it('ignores objects without the cluster label', () => {
    assert.equal(toOwnedObject('Pod', { metadata: { uid: 'x', namespace: 'ns', name: 'other' } }), undefined);
  });
});
