// The spec of a cluster read, as the workflow uses it: checked by the
// readCluster activity, not here. The SDK evaluates the bundle's modules
// again in every workflow's context, and zod with the KafkaCluster schema cost
// about 1.5 MB per cached workflow; checked in the activity, a workflow holds
// only data. Reads recorded before the activity checked carry the raw spec:
// those (histories of workflows started by an earlier Keelson) are checked
// here, loading the schema only for them.
import type { SpecCheck } from '../crd/spec-check.ts';
import type { Snapshot } from './cluster-pass.ts';

export type { SpecCheck };

export async function specCheckOf(snapshot: Pick<Snapshot, 'spec' | 'specCheck'>): Promise<SpecCheck> {
  if (snapshot.specCheck) return snapshot.specCheck;
  // Eager: bundled in, evaluated only when this line runs.
  const { checkSpec } = await import(/* webpackMode: "eager" */ '../crd/spec-check.ts');
  return checkSpec(snapshot.spec);
}
