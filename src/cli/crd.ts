// `keelson crd`: prints the CRDs generated from the zod schemas (the same
// YAML as deploy/helm/keelson/crds). Plain YAML, not the client's dumpYaml, which drops
// the x-kubernetes-* keys it has no model for.
import { stringify } from 'yaml';
import { buildKafkaClusterCrd, buildKafkaTopicCrd, buildKafkaUserCrd } from '../crd/crd.ts';

const header = '# Generated from src/crd by `npm run gen:crd`; do not edit.\n';
const render = (crd: object): string => `${header}${stringify(crd, { lineWidth: 0 })}`;

export const crdFile = 'deploy/helm/keelson/crds/040-crd-kafkacluster.yaml';
export const renderCrd = (): string => render(buildKafkaClusterCrd());

/** Every CRD file and its content, in the order they are installed. */
export const crdFiles = (): [string, string][] => [
  [crdFile, renderCrd()],
  ['deploy/helm/keelson/crds/045-crd-kafkauser.yaml', render(buildKafkaUserCrd())],
  ['deploy/helm/keelson/crds/046-crd-kafkatopic.yaml', render(buildKafkaTopicCrd())],
];
