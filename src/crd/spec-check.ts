// A KafkaCluster spec checked against its schema and rules, as the activity
// that reads the cluster hands it to the workflow: the spec with its defaults
// applied, or what is wrong with it (each problem as `path: message`).
import { KafkaClusterSpec } from './kafka-cluster.ts';

export type SpecCheck = { spec: KafkaClusterSpec } | { problems: string };

/** Long enough for every problem of a bad spec, short enough for a status condition. */
const maxProblemsLength = 4000;

export function checkSpec(spec: unknown): SpecCheck {
  const parsed = KafkaClusterSpec.safeParse(spec);
  if (parsed.success) return { spec: parsed.data };
  return {
    problems: parsed.error.issues
      .map((i) => `${i.path.join('.')}: ${i.message}`)
      .join('; ')
      .slice(0, maxProblemsLength),
  };
}
