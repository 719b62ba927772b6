// Finding, in a cluster workflow's history, the `spec` signal the watcher sent
// for one generation of a KafkaCluster.
import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The index of the spec signal for `generation` in `events`, or -1. */
export function specSignalIndex(events: HistoryEvent[], generation: number): number {
  return events.findIndex((e) => {
    const a = e.workflowExecutionSignaledEventAttributes;
    if (a?.signalName !== 'spec') return false;
    const payload = JSON.parse(Buffer.from(a.input?.payloads?.[0]?.data ?? new Uint8Array()).toString()) as {
      generation: number;
    };
    return payload.generation === generation;
  });
}
