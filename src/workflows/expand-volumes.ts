// Growing the volume claims of nodes whose pool asks for a larger
// storage.size, as a child of the cluster workflow: refused, changing
// nothing, when a claim's StorageClass does not allow expansion (the
// condition names the class); otherwise each claim asks for the new size and
// the operation waits until Kubernetes reports the volume and its file system
// grown. No broker restarts: the file system grows under the running broker.
import { proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { longWait, quickCall } from './activity-options.ts';
import type { KafkaClusterSpec } from '../crd/kafka-cluster.ts';
import type { ClusterRef } from '../domain/labels.ts';
import { buildClusterManifests } from '../domain/manifests/index.ts';
import { names } from '../domain/names.ts';
import type { KafkaNode } from '../domain/nodes.ts';
import type { ObservedNode } from '../domain/observed.ts';
import { failure } from '../domain/failures.ts';

const quick = proxyActivities<Activities>(quickCall);
const waits = proxyActivities<Activities>(longWait);

export interface ExpandVolumesInput {
  cluster: ClusterRef;
  spec: KafkaClusterSpec;
  nodes: KafkaNode[];
  /** The nodes whose claims grow, as observed. */
  growing: ObservedNode[];
}

export async function expandVolumesWorkflow({
  cluster,
  spec,
  nodes,
  growing,
}: ExpandVolumesInput): Promise<{ expanded: string[] }> {
  const details = (text: string): void =>
    setCurrentDetails(`**Expand volumes** ${cluster.namespace}/${cluster.name}: ${text}`);
  const classes = [...new Set(growing.map((n) => n.claim?.storageClass ?? ''))];
  details(`checking that ${classes.join(', ')} let volumes grow`);
  const fixed = await quick.classesWithoutExpansion({ classes: classes.filter((c) => c !== '') });
  const unknown = classes.includes('') ? ['(none: the claims have no StorageClass)'] : [];
  if (fixed.length > 0 || unknown.length > 0) {
    throw failure(
      'ExpansionRefused',
      `storage.size grew, but StorageClass ${[...fixed, ...unknown].join(', ')} does not allow volume expansion (allowVolumeExpansion); the claims keep their size. Use a class that allows it for a new pool, or set storage.size back`,
    );
  }
  const pods = new Set(growing.map((n) => n.podName));
  const claims = buildClusterManifests(cluster, spec, nodes).claims.filter((c) =>
    pods.has((c.metadata?.name ?? '').replace(/^data-/, '')),
  );
  details(`asking ${claims.length} claim(s) for their new size`);
  await quick.applyObjects(claims);
  details(`waiting for ${claims.length} volume(s) and their file systems to grow`);
  await waits.waitForClaimsResized({
    namespace: cluster.namespace,
    claims: claims.map((c) => ({
      name: c.metadata?.name ?? '',
      size: c.spec?.resources?.requests?.storage ?? '0',
    })),
  });
  return { expanded: growing.map((n) => names.dataClaim(n.podName)) };
}
