// The KafkaTopic custom resource (keelson.dev/v1alpha1, short name kt): a
// topic of a KafkaCluster in the same namespace, with its partitions,
// replication factor and topic configs. Like KafkaCluster, the TypeScript
// types, runtime validation and the CRD in deploy/helm/keelson/crds come from these schemas.
import { z } from 'zod';
import { clusterReference, readyConditions } from './cluster-resource.ts';
import { maxConfigValueLength } from './owned-config.ts';
import { group, version } from './kafka-cluster.ts';
import { withRules, type Rule } from './rules.ts';
import { configValueRule } from './spec-rules.ts';
import { topicConfigKeys } from './topic-config-keys.ts';

export { topicKind, topicPlural } from './kafka-topic-names.ts';
export { group, version };

export { topicConfigKeys, topicThrottleKeys } from './topic-config-keys.ts';
/** Kafka's own limit on a topic name's length. */
export const maxTopicNameLength = 249;
const topicNamePattern = '^[a-zA-Z0-9._-]+$';
const knownKeysCel = `[${topicConfigKeys.map((k) => `'${k}'`).join(', ')}]`;

const topicConfigRules: Rule<Record<string, string | number>>[] = [
  {
    cel: `self.all(k, k in ${knownKeysCel})`,
    message: 'config: a key Kafka does not know for topics',
    messageExpression: `'config key "' + self.filter(k, !(k in ${knownKeysCel}))[0] + '" is not a topic config Kafka knows (see kafka-configs --entity-type topics --help)'`,
    messageFor: (config) =>
      `config key "${Object.keys(config).find((k) => !(topicConfigKeys as readonly string[]).includes(k))}" is not a topic config Kafka knows (see kafka-configs --entity-type topics --help)`,
    holds: (config) => Object.keys(config).every((k) => (topicConfigKeys as readonly string[]).includes(k)),
  },
  configValueRule,
];

const topicName = withRules(
  z
    .string()
    .min(1)
    .max(maxTopicNameLength)
    .regex(new RegExp(topicNamePattern), 'must be a Kafka topic name: a-z, A-Z, 0-9, ".", "_" and "-"'),
  [
    {
      cel: "self != '.' && self != '..'",
      message: 'topicName may not be "." or ".."',
      holds: (n) => n !== '.' && n !== '..',
    },
    {
      cel: "!self.startsWith('__')",
      message: 'topicName: names starting with "__" are Kafka\'s internal topics',
      holds: (n) => !n.startsWith('__'),
    },
  ],
);

export const KafkaTopicSpec = z.object({
  /** The KafkaCluster in the same namespace the topic belongs to; fixed once set. */
  cluster: clusterReference,
  /**
   * The topic's name in Kafka, when it cannot be the resource's name (upper
   * case or "_", say); fixed once set. @default metadata.name
   */
  topicName: topicName.optional(),
  /** Partitions; may grow, never shrink (Kafka cannot take partitions away). */
  partitions: z.int().min(1).max(10_000),
  /** Replicas of each partition; a change moves replicas with a throttle. At most the cluster's brokers. */
  replicas: z.int().min(1).max(16),
  /** Topic configs; keys absent here are removed from the topic (Kafka's defaults apply). */
  config: withRules(
    z
      // Values are strings or integers (Kubernetes int-or-string): quote booleans and decimals.
      .record(z.string(), z.union([z.string().max(maxConfigValueLength), z.int()]))
      .refine((config) => Object.keys(config).length <= topicConfigKeys.length, 'too many config keys')
      .meta({ maxProperties: topicConfigKeys.length }),
    topicConfigRules,
  ).default({}),
  /** delete: deleting the KafkaTopic deletes the topic and its records; retain: the topic stays in Kafka. @default delete */
  deletePolicy: z.enum(['delete', 'retain']).default('delete'),
});

export const KafkaTopicStatus = z.object({
  observedGeneration: z.int().min(0).optional(),
  conditions: readyConditions,
  /** The topic's name in Kafka. */
  topicName: z.string().optional(),
  /** Kafka's id of the topic Keelson created or adopted: only that topic is ever changed or deleted. */
  topicId: z.string().optional(),
  partitions: z.int().min(0).optional(),
  replicas: z.int().min(0).optional(),
});

export type KafkaTopicSpec = z.output<typeof KafkaTopicSpec>;
export type KafkaTopicSpecInput = z.input<typeof KafkaTopicSpec>;
export type KafkaTopicStatus = z.output<typeof KafkaTopicStatus>;

/** Transition rules checked by the API server on updates. */
export const kafkaTopicTransitionRules = [
  {
    rule: 'self.cluster == oldSelf.cluster',
    message: 'cluster cannot change: create a KafkaTopic for the other cluster instead',
  },
  {
    rule: 'has(self.topicName) == has(oldSelf.topicName) && (!has(self.topicName) || self.topicName == oldSelf.topicName)',
    message: 'topicName cannot change: Kafka cannot rename a topic',
  },
  {
    rule: 'self.partitions >= oldSelf.partitions',
    message: 'partitions cannot decrease: Kafka cannot take partitions away (create a new topic instead)',
  },
];

/** Name rules at the root: without spec.topicName, the resource's name is the topic's. */
export const kafkaTopicNameRules = [
  {
    rule: `has(self.spec.topicName) || (size(self.metadata.name) <= ${maxTopicNameLength} && !self.metadata.name.startsWith('__'))`,
    message: `metadata.name: without spec.topicName, the name is the topic's name in Kafka: at most ${maxTopicNameLength} characters`,
  },
];
