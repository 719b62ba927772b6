// Builds the CustomResourceDefinition of KafkaCluster from the zod schemas:
// zod's OpenAPI 3.0 output, made structural the way Kubernetes requires (no
// additionalProperties: false, no unions), plus the CEL rules the schemas
// carry, the status subresource and the printer columns.
import { z } from 'zod';
import { clusterNameRules } from './cluster-name.ts';
import { group, kind, KafkaClusterSpec, KafkaClusterStatus, plural, version } from './kafka-cluster.ts';
import {
  KafkaUserSpec,
  KafkaUserStatus,
  kafkaUserNameRules,
  kafkaUserTransitionRules,
  userKind,
  userPlural,
} from './kafka-user.ts';
import {
  KafkaTopicSpec,
  KafkaTopicStatus,
  kafkaTopicNameRules,
  kafkaTopicTransitionRules,
  topicKind,
  topicPlural,
} from './kafka-topic.ts';

type Schema = Record<string, unknown>;

const safeIntegerBound = 9007199254740991;

/** Rewrites zod's JSON Schema into a Kubernetes structural schema, in place. */
function makeStructural(node: unknown, path: string): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => makeStructural(item, `${path}[${i}]`));
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const schema = node as Schema;
  delete schema.$schema;
  if (schema.additionalProperties === false) delete schema.additionalProperties;
  // A value that is a string or an integer (broker config): Kubernetes'
  // int-or-string, which CEL rules can still type.
  const alternatives = schema.anyOf;
  if (
    Array.isArray(alternatives) &&
    alternatives.length === 2 &&
    alternatives.every((v: Schema) => v.type === 'string' || v.type === 'integer')
  ) {
    delete schema.anyOf;
    schema['x-kubernetes-int-or-string'] = true;
    // The string's bound applies to strings only, as OpenAPI reads maxLength.
    const maxLength = (alternatives as Schema[]).find((v) => v.type === 'string')?.maxLength;
    if (maxLength !== undefined) schema.maxLength = maxLength;
  }
  if (Math.abs(Number(schema.minimum)) === safeIntegerBound) delete schema.minimum;
  if (Math.abs(Number(schema.maximum)) === safeIntegerBound) delete schema.maximum;
  for (const union of ['anyOf', 'oneOf', 'allOf']) {
    if (union in schema) throw new Error(`${path}: ${union} cannot be expressed in a structural CRD schema`);
  }
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'default' || key === 'enum' || key === 'x-kubernetes-validations') continue;
    makeStructural(value, `${path}.${key}`);
  }
}

function structural(schema: z.ZodType, path: string): Schema {
  const json = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input' }) as Schema;
  makeStructural(json, path);
  return json;
}

interface ResourceKind {
  kind: string;
  plural: string;
  shortNames: string[];
  description: string;
  columns: Schema[];
  /** CEL rules at the root: metadata.name is the one metadata field CEL may read there. */
  nameRules: { rule: string; message: string }[];
  spec: Schema;
  status: Schema;
}

/** A namespaced keelson.dev CRD with a status subresource, one served and stored version. */
function customResourceDefinition(resource: ResourceKind): Schema {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${resource.plural}.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: {
        kind: resource.kind,
        listKind: `${resource.kind}List`,
        plural: resource.plural,
        singular: resource.kind.toLowerCase(),
        shortNames: resource.shortNames,
        categories: ['kafka', 'keelson'],
      },
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: resource.columns,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: resource.description,
              required: ['spec'],
              'x-kubernetes-validations': resource.nameRules,
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: resource.spec,
                status: resource.status,
              },
            },
          },
        },
      ],
    },
  };
}

export function buildKafkaClusterCrd(): Schema {
  return customResourceDefinition({
    kind,
    plural,
    shortNames: ['kc'],
    description: 'A Kafka cluster in KRaft mode, managed by Keelson.',
    columns: [
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      { name: 'Version', type: 'string', jsonPath: '.spec.kafkaVersion' },
      { name: 'Brokers', type: 'string', jsonPath: '.status.brokersReady' },
      { name: 'Operation', type: 'string', jsonPath: '.status.currentOperation.type' },
      { name: 'Last Backup', type: 'date', jsonPath: '.status.lastBackup.finishedAt', priority: 1 },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ],
    nameRules: clusterNameRules.map(({ rule, message }) => ({ rule, message })),
    spec: structural(KafkaClusterSpec, 'spec'),
    status: structural(KafkaClusterStatus, 'status'),
  });
}

export function buildKafkaUserCrd(): Schema {
  const spec = structural(KafkaUserSpec, 'spec');
  spec['x-kubernetes-validations'] = kafkaUserTransitionRules.map(({ rule, message }) => ({ rule, message }));
  return customResourceDefinition({
    kind: userKind,
    plural: userPlural,
    shortNames: ['ku'],
    description: 'A user of a secured KafkaCluster: how it authenticates, its ACLs and quotas.',
    columns: [
      { name: 'Cluster', type: 'string', jsonPath: '.spec.cluster' },
      { name: 'Authentication', type: 'string', jsonPath: '.spec.authentication.type' },
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      { name: 'Secret', type: 'string', jsonPath: '.status.secret' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ],
    nameRules: kafkaUserNameRules,
    spec,
    status: structural(KafkaUserStatus, 'status'),
  });
}

export function buildKafkaTopicCrd(): Schema {
  const spec = structural(KafkaTopicSpec, 'spec');
  spec['x-kubernetes-validations'] = [
    ...((spec['x-kubernetes-validations'] as Schema[] | undefined) ?? []),
    ...kafkaTopicTransitionRules.map(({ rule, message }) => ({ rule, message })),
  ];
  return customResourceDefinition({
    kind: topicKind,
    plural: topicPlural,
    shortNames: ['kt'],
    description: 'A topic of a KafkaCluster: its partitions, replication factor and configs.',
    columns: [
      { name: 'Cluster', type: 'string', jsonPath: '.spec.cluster' },
      { name: 'Partitions', type: 'integer', jsonPath: '.spec.partitions' },
      { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      { name: 'Topic', type: 'string', jsonPath: '.status.topicName', priority: 1 },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ],
    nameRules: kafkaTopicNameRules,
    spec,
    status: structural(KafkaTopicStatus, 'status'),
  });
}
