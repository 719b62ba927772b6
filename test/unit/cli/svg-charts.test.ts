import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { drillTimeline } from '../../../src/cli/cluster-commands.ts';
import { histogramSvg, lineChartSvg, timelineSvg } from '../../../src/cli/svg-charts.ts';
import { operationTimeline } from '../../../src/cli/operation-timeline.ts';

const bars = (svg: string) => (svg.match(/<rect x=/g) ?? []).length;

describe('SVG charts', () => {
  it('draws a bar per timeline row on a shared axis, escaping labels', () => {
    const svg = timelineSvg('a <roll> & more', [
      { label: 'node 0', start: 1_000, end: 11_000 },
      { label: 'node "1"', start: 11_000, end: 21_000, note: 'failed' },
    ]);
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(svg, /a &lt;roll&gt; &amp; more/);
    assert.match(svg, /node &quot;1&quot;/);
    assert.equal(bars(svg), 2);
    assert.match(svg, />20 s</);
    assert.doesNotMatch(svg, /NaN|undefined/);
  });

  it('puts every sample in a bucket and marks the median and 99th percentile', () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);
    const svg = histogramSvg('latency', samples, 'ms', 10);
    assert.equal(bars(svg), 10);
    const counts = [...svg.matchAll(/ ms: (\d+)<\/title>/g)].map((m) => Number(m[1]));
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      100,
    );
    assert.match(svg, /p50 50 ms/);
    assert.match(svg, /p99 99 ms/);
  });

  it('draws points in order of x', () => {
    const svg = lineChartSvg(
      'memory',
      [
        [1000, 965],
        [0, 226],
        [100, 436],
      ],
      'KafkaClusters',
      'MB',
    );
    const points = /points="([^"]+)"/.exec(svg)?.[1]?.split(' ') ?? [];
    assert.equal(points.length, 3);
    const xs = points.map((p) => Number(p.split(',')[0]));
    assert.deepEqual(
      [...xs].sort((a, b) => a - b),
      xs,
    );
    assert.doesNotMatch(svg, /NaN|undefined/);
  });
});

describe('drillTimeline', () => {
  it('ends each step where it says, else where the next starts, else with the drill', () => {
    const rows = drillTimeline({
      zone: 'zone-a',
      workflowId: 'w',
      outcome: 'Succeeded',
      startedAt: '2026-11-30T10:00:00Z',
      finishedAt: '2026-11-30T10:10:00Z',
      steps: [
        { name: 'drill: evacuate', startedAt: '2026-11-30T10:00:00Z', finishedAt: '2026-11-30T10:01:00Z' },
        { name: 'drill: hold', startedAt: '2026-11-30T10:01:00Z' },
        { name: 'drill: fail back', startedAt: '2026-11-30T10:06:00Z', message: 'slow' },
      ],
    });
    assert.deepEqual(
      rows.map((r) => [r.label, (r.end - r.start) / 60_000, r.note]),
      [
        ['drill: evacuate', 1, undefined],
        ['drill: hold', 5, undefined],
        ['drill: fail back', 4, 'slow'],
      ],
    );
  });
});

describe('operationTimeline', () => {
  const at = (s: number) => ({ seconds: s, nanos: 0 });
  const input = (value: unknown) => ({
    payloads: [{ data: new TextEncoder().encode(JSON.stringify(value)) }],
  });
  it('makes a row per activity from scheduled to completed, naming the pod, and marks failed and running ones', () => {
    const rows = operationTimeline([
      {
        eventId: 5,
        eventTime: at(100),
        activityTaskScheduledEventAttributes: {
          activityType: { name: 'restartNode' },
          input: input({ pod: { metadata: { name: 'orders-0' } } }),
        },
      },
      { eventId: 6, eventTime: at(130), activityTaskCompletedEventAttributes: { scheduledEventId: 5 } },
      {
        eventId: 7,
        eventTime: at(131),
        activityTaskScheduledEventAttributes: {
          activityType: { name: 'restartNode' },
          input: input({ pod: { metadata: { name: 'orders-1' } } }),
        },
      },
      { eventId: 8, eventTime: at(140), activityTaskFailedEventAttributes: { scheduledEventId: 7 } },
      {
        eventId: 9,
        eventTime: at(150),
        activityTaskScheduledEventAttributes: { activityType: { name: 'waitReady' }, input: input('x') },
      },
      { eventId: 10, eventTime: at(160) },
    ] as never);
    assert.deepEqual(
      rows.map((r) => [r.label, (r.end - r.start) / 1000, r.note]),
      [
        ['restartNode orders-0', 30, undefined],
        ['restartNode orders-1', 9, 'failed'],
        ['waitReady', 10, 'running'],
      ],
    );
  });
});
