// Go-style durations ("90s", "1h30m"), the form CEL's duration() accepts, so
// admission and the workflow agree on what a duration means.
const unitMs: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

export function parseDurationMs(text: string): number {
  const parts = [...text.matchAll(/([0-9]+)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw new Error(`"${text}" is not a duration such as 30s, 5m or 1h30m`);
  }
  return parts.reduce((total, [, amount, unit]) => total + Number(amount) * (unitMs[unit ?? 's'] ?? 0), 0);
}
