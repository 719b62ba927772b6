// What a cluster workflow's history shows: the generations its spec signals
// carried, in order, and the child workflows (operations) it started.
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { clusterWorkflowId, specSignal, type SpecChange } from '../../src/workflows/messages.ts';

export async function clusterHistory(
  client: Client,
  namespace: string,
  name: string,
): Promise<{ generations: number[]; children: string[] }> {
  const history = await client.workflow.getHandle(clusterWorkflowId(namespace, name)).fetchHistory();
  const events = history.events ?? [];
  return {
    generations: events
      .map((e) => e.workflowExecutionSignaledEventAttributes)
      .filter((a) => a?.signalName === specSignal.name && a.input?.payloads?.[0])
      .map((a) => defaultPayloadConverter.fromPayload<SpecChange>(a?.input?.payloads?.[0] ?? {}).generation),
    children: events
      .map((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId)
      .filter((id): id is string => Boolean(id)),
  };
}
