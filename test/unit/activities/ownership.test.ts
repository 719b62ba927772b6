import type { KubernetesObject } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ownershipConflict } from '../../../src/activities/kubernetes/objects.ts';
import { KafkaClusterSpec } from '../../../src/crd/kafka-cluster.ts';
import { buildClusterManifests, clusterId } from '../../../src/domain/manifests/index.ts';
import { assignNodeIdBases, planNodes } from '../../../src/domain/nodes.ts';
import { minimalSpec } from '../../fixtures/kafka-cluster-specs.ts';

const earlier = { name: 'orders', namespace: 'team', uid: '11111111-1111-4111-8111-111111111111' };
const later = { name: 'orders', namespace: 'team', uid: '22222222-2222-4222-8222-222222222222' };

function manifestsOf(cluster: typeof earlier, input: object = minimalSpec) {
  const spec = KafkaClusterSpec.parse(input);
  const nodes = planNodes(cluster.name, spec, assignNodeIdBases(spec.nodePools, {}));
  return buildClusterManifests(cluster, spec, nodes);
}

describe('ownershipConflict', () => {
  const keptClaim = manifestsOf(earlier).claims[0] as KubernetesObject;

  it('lets a cluster apply over its own objects and create missing ones', () => {
    const own = manifestsOf(earlier);
    assert.equal(ownershipConflict(own.claims[0] as KubernetesObject, keptClaim), undefined);
    assert.equal(ownershipConflict(own.pods[0] as KubernetesObject, undefined), undefined);
  });

  it('refuses the kept claim of an earlier cluster of the same name, saying how to reuse it', () => {
    const conflict = ownershipConflict(manifestsOf(later).claims[0] as KubernetesObject, keptClaim);
    assert.match(conflict ?? '', /data-orders-combined-0 was kept by an earlier KafkaCluster orders/);
    assert.ok(conflict?.includes(`spec.kafkaClusterId: ${clusterId(earlier.uid)}`), conflict);
  });

  it('takes the kept claim over when the new cluster names the Kafka cluster id of its data', () => {
    const reuse = manifestsOf(later, { ...minimalSpec, kafkaClusterId: clusterId(earlier.uid) });
    assert.equal(ownershipConflict(reuse.claims[0] as KubernetesObject, keptClaim), undefined);
  });

  it("refuses another cluster's pod or ConfigMap, whatever the name says", () => {
    const mine = manifestsOf(later);
    const theirs = manifestsOf(earlier);
    assert.match(
      ownershipConflict(mine.pods[0] as KubernetesObject, theirs.pods[0] as KubernetesObject) ?? '',
      /belongs to KafkaCluster orders \(uid 11111111/,
    );
    assert.ok(ownershipConflict(mine.configMap as KubernetesObject, theirs.configMap as KubernetesObject));
  });

  it('adopts an object made before uids were recorded (no owner reference, no uid label)', () => {
    const legacy = structuredClone(keptClaim);
    delete legacy.metadata?.labels?.['keelson.dev/cluster-uid'];
    assert.equal(ownershipConflict(manifestsOf(later).claims[0] as KubernetesObject, legacy), undefined);
  });
});
