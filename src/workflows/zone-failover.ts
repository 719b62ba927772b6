// A real zone failure (not a drill), as a child of the cluster workflow: every
// pod of one zone has been unready for longer than spec.zoneFailover.after.
// Leadership moves out of the zone (Kafka's controller has already moved it
// off dead brokers; reordering replicas also keeps preferred leadership away
// from a zone that flaps), then the workflow waits, durably, for the zone to
// come back; once its brokers are ready and caught up the original replica
// orders are put back and preferred leaders elected. Nothing is deleted or
// recreated: the pods and volumes of the zone are Kubernetes' to bring back.
// A newer generation ends the wait early, handing the replaced orders back to
// the cluster workflow so that a later run can still fail back.
import {
  condition,
  continueAsNew,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { kafkaAccess, operatorPort } from '../domain/tls.ts';
import type { Activities } from '../activities/index.ts';
import { quickCall } from './activity-options.ts';
import type { KafkaClusterSpec } from '../crd/kafka-cluster.ts';
import type { ClusterRef } from '../domain/labels.ts';
import { readyBrokerAddresses, type ObservedNode } from '../domain/observed.ts';
import type { Moves } from '../domain/reassignment.ts';
import { evacuateLeaders, restoreLeaders, waitForReplicasInSync } from './leadership.ts';
import { supersededSignal } from './messages.ts';

const quick = proxyActivities<Activities>(quickCall);

/** How often the wait re-reads the zone's pods. */
const zoneCheckIntervalMs = 15_000;

export interface ZoneFailoverInput {
  cluster: ClusterRef;
  spec: KafkaClusterSpec;
  zone: string;
  /** Set when leadership already left the zone (a resumed or continued failover). */
  originalOrder?: Moves;
}

export interface ZoneFailoverResult {
  zone: string;
  /** Stopped for a newer generation while the zone was still out. */
  superseded?: boolean;
  /** The orders still to put back when superseded. */
  originalOrder?: Moves;
  message: string;
}

export async function zoneFailoverWorkflow(input: ZoneFailoverInput): Promise<ZoneFailoverResult> {
  const { cluster, spec, zone } = input;
  let superseded = false;
  setHandler(supersededSignal, () => void (superseded = true));
  const { workflowId } = workflowInfo();
  const key = { namespace: cluster.namespace, name: cluster.name };
  const port = operatorPort(spec);
  const step = async (text: string): Promise<void> => {
    setCurrentDetails(`**Zone failover** ${cluster.namespace}/${cluster.name} ${zone}: ${text}`);
    await quick.patchStatus({ ...key, status: {}, progress: { step: `failover: ${text}` } });
  };
  const observe = () =>
    quick.observeNodes({ namespace: cluster.namespace, cluster: cluster.name, uid: cluster.uid });
  const inZone = (nodes: ObservedNode[]) => nodes.filter((n) => n.zone === zone && n.podExists);

  let originalOrder = input.originalOrder;
  if (originalOrder === undefined) {
    await step(`moving leadership out of ${zone}`);
    const nodes = await observe();
    const zoneIds = inZone(nodes).map((n) => n.nodeId);
    const outside = kafkaAccess(
      cluster,
      spec,
      readyBrokerAddresses(
        nodes.filter((n) => n.zone !== zone),
        port,
      ),
    );
    originalOrder = await evacuateLeaders(outside, zoneIds);
    await quick.recordEvent({
      cluster,
      key: `${workflowId}/failed-over`,
      type: 'Warning',
      reason: 'ZoneFailedOver',
      action: 'Failover',
      note: `every pod of ${zone} unready for longer than ${spec.zoneFailover.after}: preferred leadership of ${originalOrder.length} partition(s) moved out of the zone; it moves back when the zone returns`,
    });
  }

  await step(`waiting for ${zone} to return`);
  for (;;) {
    const zoneNodes = inZone(await observe());
    if (zoneNodes.length > 0 && zoneNodes.every((n) => n.ready)) break;
    if (superseded) {
      return {
        zone,
        superseded: true,
        originalOrder,
        message: `stopped for a newer generation while ${zone} is still unavailable`,
      };
    }
    if (workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof zoneFailoverWorkflow>({ ...input, originalOrder });
    }
    await condition(() => superseded, zoneCheckIntervalMs, {
      summary: `${zone} still unavailable: look again`,
    });
  }

  await step(`${zone} is back: waiting for its replicas to catch up`);
  const nodes = await observe();
  const zoneIds = inZone(nodes).map((n) => n.nodeId);
  const everything = kafkaAccess(cluster, spec, readyBrokerAddresses(nodes, port));
  await waitForReplicasInSync(everything, zoneIds, (text) => setCurrentDetails(`fail back: ${text}`));
  await step('putting preferred leaders back');
  await restoreLeaders(everything, originalOrder);
  const message = `${zone} returned; preferred leadership of ${originalOrder.length} partition(s) moved back`;
  await quick.recordEvent({
    cluster,
    key: `${workflowId}/recovered`,
    type: 'Normal',
    reason: 'ZoneRecovered',
    action: 'Failover',
    note: message,
  });
  return { zone, message };
}
