// Teardown, when a KafkaCluster is deleted (its finalizer holds the object
// until this ends): broker-only nodes stop first, together, while the
// controllers still run to acknowledge their controlled shutdown; then the
// controller (and combined) nodes, together too: one left alone would have
// no quorum to shut down against and wait out its whole grace period.
// Claims of pools with deleteClaim go with the cluster; all others are kept,
// with an Event naming them (data is never deleted unless asked for). The
// Services, ConfigMap and PDB are owned by the KafkaCluster and garbage
// collected once the finalizer is gone.
import { proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { longWait, quickCall } from './activity-options.ts';
import type { KafkaClusterSpec } from '../crd/kafka-cluster.ts';
import type { ClusterRef } from '../domain/labels.ts';
import { names } from '../domain/names.ts';

const quick = proxyActivities<Activities>(quickCall);
const waits = proxyActivities<Activities>(longWait);

export interface TeardownInput {
  cluster: ClusterRef;
  /** The last valid spec, for which pools delete their claims; undefined keeps every claim. */
  spec: KafkaClusterSpec | undefined;
}

export async function teardownWorkflow({ cluster, spec }: TeardownInput): Promise<{ keptClaims: string[] }> {
  const { namespace, name } = cluster;
  const observed = await quick.observeNodes({ namespace, cluster: name, uid: cluster.uid });
  const running = observed.filter((n) => n.podExists);
  const brokersOnly = running.filter((n) => !n.roles.includes('controller')).map((n) => n.podName);
  const withController = running.filter((n) => n.roles.includes('controller')).map((n) => n.podName);
  const deletesClaims = (pool: string) =>
    spec?.nodePools.find((p) => p.name === pool)?.storage.deleteClaim ?? false;
  const claimsToDelete = observed.filter((n) => n.claimExists && deletesClaims(n.pool)).map((n) => n.podName);
  const keptClaims = observed
    .filter((n) => n.claimExists && !deletesClaims(n.pool))
    .map((n) => names.dataClaim(n.podName));

  setCurrentDetails(`**Teardown** ${namespace}/${name}: stopping ${brokersOnly.length} broker(s)`);
  await waits.removeNodes({ namespace, pods: brokersOnly, deleteClaims: [], together: true });
  setCurrentDetails(
    `**Teardown** ${namespace}/${name}: stopping ${withController.length} controller node(s)`,
  );
  await waits.removeNodes({ namespace, pods: withController, deleteClaims: claimsToDelete, together: true });
  await quick.recordEvent({
    cluster,
    key: 'teardown',
    type: 'Normal',
    reason: 'TornDown',
    action: 'Teardown',
    note:
      keptClaims.length > 0
        ? `every node stopped; volume claims kept (their pools have no deleteClaim): ${keptClaims.join(', ')}`
        : 'every node stopped; no volume claim kept',
  });
  return { keptClaims };
}
