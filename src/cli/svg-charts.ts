// Small SVG charts with no dependency: a timeline (a drill's steps, a roll's
// restarts), a histogram (change-to-action latencies) and a line of points
// (memory against the number of clusters). `keelson drill status --svg` and
// `npm run bench` draw with these; the output is a standalone SVG file.
const escape = (text: string): string =>
  text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
const fixed = (n: number): string => (Math.round(n * 10) / 10).toString();

const frame = (width: number, height: number, title: string, body: string[]): string =>
  [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escape(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');

/** The plotting area of a chart with axes: a title above, axis labels below and at the left. */
const plotArea = (width: number, height: number, left: number) => ({
  top: 40,
  plotW: width - left - 30,
  plotH: height - 40 - 60,
});

/** Round tick values across [0, max]. */
function ticks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0];
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude;
  return Array.from({ length: Math.floor(max / step) + 1 }, (_, i) => i * step);
}

export interface TimelineRow {
  label: string;
  /** Milliseconds since the epoch. */
  start: number;
  end: number;
  /** Shown after the bar, e.g. "failed". */
  note?: string;
}

/** One bar per row along a shared time axis in seconds from the first start. */
export function timelineSvg(title: string, rows: readonly TimelineRow[]): string {
  const width = 900;
  const labelWidth = 240;
  const rowHeight = 22;
  const top = 40;
  const height = top + rows.length * rowHeight + 50;
  const origin = Math.min(...rows.map((r) => r.start));
  const span = Math.max(1, Math.max(...rows.map((r) => r.end)) - origin) / 1000;
  const plot = width - labelWidth - 60;
  const x = (ms: number) => labelWidth + ((ms - origin) / 1000 / span) * plot;
  const body: string[] = [];
  rows.forEach((row, i) => {
    const y = top + i * rowHeight;
    const w = Math.max(2, x(row.end) - x(row.start));
    body.push(
      `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${escape(row.label)}</text>`,
      `<rect x="${fixed(x(row.start))}" y="${y + 4}" width="${fixed(w)}" height="${rowHeight - 8}" fill="${row.note ? '#d9534f' : '#4a7bd0'}"><title>${escape(`${row.label}: ${fixed((row.end - row.start) / 1000)} s`)}</title></rect>`,
    );
    if (row.note)
      body.push(`<text x="${fixed(x(row.start) + w + 4)}" y="${y + 15}">${escape(row.note)}</text>`);
  });
  const axisY = top + rows.length * rowHeight + 8;
  body.push(
    `<line x1="${labelWidth}" y1="${axisY}" x2="${labelWidth + plot}" y2="${axisY}" stroke="black"/>`,
  );
  for (const t of ticks(span)) {
    const tx = labelWidth + (t / span) * plot;
    body.push(
      `<line x1="${fixed(tx)}" y1="${axisY}" x2="${fixed(tx)}" y2="${axisY + 4}" stroke="black"/>`,
      `<text x="${fixed(tx)}" y="${axisY + 18}" text-anchor="middle">${t} s</text>`,
    );
  }
  return frame(width, height, title, body);
}

/** Bars of how many samples fall in each bucket; the median and 99th percentile marked. */
export function histogramSvg(title: string, samples: readonly number[], unit: string, buckets = 30): string {
  const [width, height, left] = [900, 360, 60];
  const { top, plotW, plotH } = plotArea(width, height, left);
  const sorted = [...samples].sort((a, b) => a - b);
  const max = sorted.at(-1) ?? 1;
  const size = Math.max(max / buckets, Number.EPSILON);
  const counts = Array.from({ length: buckets }, () => 0);
  for (const s of sorted) counts[Math.min(buckets - 1, Math.floor(s / size))]! += 1;
  const peak = Math.max(1, ...counts);
  const body: string[] = [];
  counts.forEach((count, i) => {
    const h = (count / peak) * plotH;
    body.push(
      `<rect x="${fixed(left + (i * plotW) / buckets + 1)}" y="${fixed(top + plotH - h)}" width="${fixed(plotW / buckets - 2)}" height="${fixed(h)}" fill="#4a7bd0"><title>${fixed(i * size)}–${fixed((i + 1) * size)} ${escape(unit)}: ${count}</title></rect>`,
    );
  });
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil((q / 100) * sorted.length) - 1)] ?? 0;
  for (const [q, colour] of [
    [50, '#2e7d32'],
    [99, '#d9534f'],
  ] as const) {
    const value = at(q);
    const vx = left + (value / (size * buckets)) * plotW;
    body.push(
      `<line x1="${fixed(vx)}" y1="${top}" x2="${fixed(vx)}" y2="${top + plotH}" stroke="${colour}" stroke-dasharray="4 3"/>`,
      `<text x="${fixed(vx + 4)}" y="${top + 12 + (q === 99 ? 14 : 0)}" fill="${colour}">p${q} ${fixed(value)} ${escape(unit)}</text>`,
    );
  }
  const axisY = top + plotH;
  body.push(`<line x1="${left}" y1="${axisY}" x2="${left + plotW}" y2="${axisY}" stroke="black"/>`);
  for (const t of ticks(size * buckets)) {
    const tx = left + (t / (size * buckets)) * plotW;
    body.push(`<text x="${fixed(tx)}" y="${axisY + 18}" text-anchor="middle">${t}</text>`);
  }
  body.push(
    `<text x="${left + plotW / 2}" y="${height - 12}" text-anchor="middle">${escape(unit)} (${samples.length} samples)</text>`,
  );
  return frame(width, height, title, body);
}

/** A line through (x, y) points with both axes from zero. */
export function lineChartSvg(
  title: string,
  points: readonly (readonly [number, number])[],
  xLabel: string,
  yLabel: string,
): string {
  const [width, height, left] = [700, 380, 70];
  const { top, plotW, plotH } = plotArea(width, height, left);
  const maxX = Math.max(1, ...points.map((p) => p[0]));
  const maxY = Math.max(1, ...points.map((p) => p[1]));
  const xTicks = ticks(maxX);
  const yTicks = ticks(maxY);
  const scaleX = Math.max(maxX, xTicks.at(-1) ?? maxX);
  const scaleY = Math.max(maxY, yTicks.at(-1) ?? maxY);
  const px = (x: number) => left + (x / scaleX) * plotW;
  const py = (y: number) => top + plotH - (y / scaleY) * plotH;
  const sorted = [...points].sort((a, b) => a[0] - b[0]);
  const body = [
    `<line x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}" stroke="black"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="black"/>`,
    `<polyline fill="none" stroke="#4a7bd0" stroke-width="2" points="${sorted.map(([x, y]) => `${fixed(px(x))},${fixed(py(y))}`).join(' ')}"/>`,
    ...sorted.map(
      ([x, y]) =>
        // A label near the right edge goes left of its point, so that it is not cut off.
        `<circle cx="${fixed(px(x))}" cy="${fixed(py(y))}" r="4" fill="#4a7bd0"><title>${x}: ${y}</title></circle><text x="${fixed(px(x) > left + plotW - 40 ? px(x) - 6 : px(x) + 6)}" y="${fixed(py(y) - 6)}"${px(x) > left + plotW - 40 ? ' text-anchor="end"' : ''}>${y}</text>`,
    ),
    ...xTicks.map(
      (t) => `<text x="${fixed(px(t))}" y="${top + plotH + 18}" text-anchor="middle">${t}</text>`,
    ),
    ...yTicks.map((t) => `<text x="${left - 6}" y="${fixed(py(t) + 4)}" text-anchor="end">${t}</text>`),
    `<text x="${left + plotW / 2}" y="${height - 12}" text-anchor="middle">${escape(xLabel)}</text>`,
    `<text x="16" y="${top + plotH / 2}" transform="rotate(-90 16 ${top + plotH / 2})" text-anchor="middle">${escape(yLabel)}</text>`,
  ];
  return frame(width, height, title, body);
}
