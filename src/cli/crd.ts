// `keelson crd`: prints the KafkaCluster CRD generated from the zod schema
// (the same YAML as deploy/crds/040-crd-kafkacluster.yaml). Plain YAML, not the
// client's dumpYaml, which drops the x-kubernetes-* keys it has no model for.
import { stringify } from 'yaml';
import { buildKafkaClusterCrd } from '../crd/crd.ts';

export const crdFile = 'deploy/crds/040-crd-kafkacluster.yaml';

export function renderCrd(): string {
  return `# Generated from src/crd by \`npm run gen:crd\`; do not edit.\n${stringify(buildKafkaClusterCrd(), { lineWidth: 0 })}`;
}
