// A cluster operation (a roll, a scale, an upgrade, …) as timeline rows, read
// from its workflow's history: one row per activity, from scheduled to
// completed (or failed), labelled with the activity and the pod it worked
// on. `keelson status --svg` draws the running operation, else the last one.
import type { Client } from '@temporalio/client';
import type { TimelineRow } from './svg-charts.ts';

type HistoryEvent = NonNullable<
  Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>['events']
>[number];

const millis = (time: HistoryEvent['eventTime']): number =>
  time ? Number(time.seconds ?? 0) * 1000 + Math.floor((time.nanos ?? 0) / 1e6) : 0;

/** What an activity worked on, from its input: a pod's or a node's name, when it names one. */
function subjectOf(payload: Uint8Array | null | undefined): string | undefined {
  if (!payload) return undefined;
  try {
    const input = JSON.parse(Buffer.from(payload).toString('utf8')) as {
      pod?: { metadata?: { name?: string } };
      podName?: string;
      node?: { podName?: string } | string;
    };
    const node = typeof input.node === 'string' ? input.node : input.node?.podName;
    return input.pod?.metadata?.name ?? input.podName ?? node;
  } catch {
    return undefined;
  }
}

export function operationTimeline(events: readonly HistoryEvent[]): TimelineRow[] {
  const ended = new Map<number, { at: number; failed: boolean }>();
  for (const e of events) {
    const done =
      e.activityTaskCompletedEventAttributes ??
      e.activityTaskFailedEventAttributes ??
      e.activityTaskTimedOutEventAttributes;
    if (done)
      ended.set(Number(done.scheduledEventId), {
        at: millis(e.eventTime),
        failed: !e.activityTaskCompletedEventAttributes,
      });
  }
  const last = millis(events.at(-1)?.eventTime);
  return events.flatMap((e) => {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (!scheduled) return [];
    const end = ended.get(Number(e.eventId));
    const subject = subjectOf(scheduled.input?.payloads?.[0]?.data);
    return [
      {
        label: `${scheduled.activityType?.name ?? 'activity'}${subject ? ` ${subject}` : ''}`,
        start: millis(e.eventTime),
        end: end?.at ?? last,
        ...(end?.failed ? { note: 'failed' } : end ? {} : { note: 'running' }),
      },
    ];
  });
}
