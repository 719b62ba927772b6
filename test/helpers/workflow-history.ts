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

/** The largest payload (input, result, signal, failure details…) in a workflow's history, and the event it is in. */
export async function largestPayload(
  client: Client,
  workflowId: string,
): Promise<{ bytes: number; where: string }> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  let largest = { bytes: 0, where: 'nowhere' };
  const visit = (value: unknown, where: string): void => {
    if (value === null || typeof value !== 'object') return;
    if (value instanceof Uint8Array) return;
    const data = (value as { data?: unknown }).data;
    if (data instanceof Uint8Array && 'metadata' in value) {
      if (data.length > largest.bytes) largest = { bytes: data.length, where };
      return;
    }
    for (const child of Object.values(value)) visit(child, where);
  };
  for (const event of history.events ?? []) {
    const attributes = Object.keys(event).find(
      (k) => k.endsWith('Attributes') && event[k as keyof typeof event],
    );
    visit(event, `event ${String(event.eventId)} ${attributes ?? ''}`);
  }
  return largest;
}

/** The summary an activity or timer carries in the Temporal UI (its user metadata), as text. */
export function decodeSummary(
  summary: Parameters<typeof defaultPayloadConverter.fromPayload>[0] | null | undefined,
): string | undefined {
  return summary ? defaultPayloadConverter.fromPayload<string>(summary) : undefined;
}
