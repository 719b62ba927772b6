// The metric names and label names a PromQL expression uses, so a test can
// check each against what a real operator and real brokers export. A small
// scanner, not a parser: strings and durations are dropped, identifiers
// before "(" are functions, those inside by/without/on/ignoring/group_*(…) or
// left of a matcher's operator are labels, and the rest are metric names.
const keywords = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
]);

export function promqlNames(expr: string): { metrics: Set<string>; labels: Set<string> } {
  const metrics = new Set<string>();
  const labels = new Set<string>();
  // Strings (label values, regexes) first: they may hold anything.
  let rest = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  // Matchers: the label left of =, !=, =~ or !~ inside {…}.
  rest = rest.replace(/\{([^}]*)\}/g, (_m, inner: string) => {
    for (const match of inner.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g))
      labels.add(match[1] ?? '');
    return ' ';
  });
  // Grouping label lists.
  rest = rest.replace(
    /\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g,
    (_m, _k, inner: string) => {
      for (const label of inner
        .split(',')
        .map((l) => l.trim())
        .filter(Boolean))
        labels.add(label);
      return ' ';
    },
  );
  rest = rest.replace(/\[[^\]]*\]/g, ' '); // ranges and subqueries: [5m], [1h:5m]
  for (const match of rest.matchAll(/(?<![\w.:])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const [, name = '', call] = match;
    if (call || keywords.has(name.toLowerCase())) continue;
    // Numbers in exponent form (1e3) and durations (5m) start with digits and never match here.
    metrics.add(name);
  }
  return { metrics, labels };
}

/** Metric names and the label names each series carries, from a Prometheus text exposition. */
export function exposition(text: string): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  const add = (name: string) => {
    const known = found.get(name) ?? new Set<string>();
    found.set(name, known);
    return known;
  };
  for (const line of text.split('\n')) {
    // Declared metrics (a gauge with no series yet still has its HELP and TYPE).
    const declared = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)/.exec(line);
    if (declared) {
      const [, name = '', type] = declared;
      add(name);
      if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) add(name + suffix);
      if (type === 'counter' && !name.endsWith('_total')) add(`${name}_total`);
      continue;
    }
    const series = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s/.exec(line);
    if (!series) continue;
    const labels = add(series[1] ?? '');
    for (const match of (series[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) labels.add(match[1] ?? '');
  }
  return found;
}
