// The KafkaUser custom resource (keelson.dev/v1alpha1, short name ku): a
// principal of a secured KafkaCluster in the same namespace, with how it
// authenticates, what it may do (ACLs) and how much (quotas). Like
// KafkaCluster, the TypeScript types, runtime validation and the CRD in
// deploy/helm/keelson/crds all come from these schemas.
import { z } from 'zod';
import { clusterReference, readyConditions } from './cluster-resource.ts';
import { withRules } from './rules.ts';
import { group, version } from './kafka-cluster.ts';

export { userKind, userPlural } from './kafka-user-names.ts';
export { group, version };

/** Kafka's ACL operations, as kafka-acls names them. */
export const aclOperations = [
  'All',
  'Read',
  'Write',
  'Create',
  'Delete',
  'Alter',
  'Describe',
  'ClusterAction',
  'DescribeConfigs',
  'AlterConfigs',
  'IdempotentWrite',
] as const;

const resourceName = z
  .string()
  .min(1)
  .max(249)
  .regex(
    /^[a-zA-Z0-9._*-]+$/,
    'must be a topic, group or transactional id name (a-z, A-Z, 0-9, ".", "_", "-"), or "*" for all',
  );

export const Acl = withRules(
  z.object({
    resource: z.object({
      type: z.enum(['topic', 'group', 'cluster', 'transactionalId']),
      /** The resource's name, or a prefix of names; "*" is every resource of the type. Not for cluster. */
      name: resourceName.optional(),
      /** literal: this name only; prefixed: every name that starts with it. @default literal */
      patternType: z.enum(['literal', 'prefixed']).default('literal'),
    }),
    operations: z
      .array(z.enum(aclOperations))
      .min(1)
      .max(aclOperations.length)
      .refine((ops) => new Set(ops).size === ops.length, 'Duplicate value: each operation may appear once')
      .meta({ 'x-kubernetes-list-type': 'set' }),
    /** The client host the ACL applies to. @default "*" (any) */
    host: z
      .string()
      .max(64)
      .regex(/^(\*|[0-9a-fA-F.:]+)$/, 'must be "*" or an IP address')
      .default('*'),
    /** @default allow */
    type: z.enum(['allow', 'deny']).default('allow'),
  }),
  [
    {
      cel: "self.resource.type == 'cluster' ? !has(self.resource.name) : has(self.resource.name)",
      message: 'acls: a cluster ACL names no resource; a topic, group or transactionalId ACL names one',
      path: ['resource', 'name'],
      holds: (acl) => (acl.resource.type === 'cluster') === (acl.resource.name === undefined),
    },
  ],
);

export const Quotas = z.object({
  /** Bytes per second this user may produce, per broker. */
  producerByteRate: z.int().min(1024).max(10_737_418_240).optional(),
  /** Bytes per second this user may fetch, per broker. */
  consumerByteRate: z.int().min(1024).max(10_737_418_240).optional(),
  /** Percentage of a broker's request handler and network threads' time. */
  requestPercentage: z.int().min(1).max(10_000).optional(),
});

export const KafkaUserSpec = z.object({
  /** The KafkaCluster in the same namespace the user belongs to; fixed once set. */
  cluster: clusterReference,
  authentication: z.object({
    /**
     * scram-sha-512: Keelson makes a password and keeps it in the user's Secret;
     * tls: a certificate and key from the cluster's clients CA, renewed before expiry.
     */
    type: z.enum(['scram-sha-512', 'tls']),
  }),
  authorization: z.object({ acls: z.array(Acl).max(100).default([]) }).default({ acls: [] }),
  quotas: Quotas.optional(),
});

export const KafkaUserStatus = z.object({
  observedGeneration: z.int().min(0).optional(),
  conditions: readyConditions,
  /** The principal's name in Kafka (User:<username>). */
  username: z.string().optional(),
  /** The Secret with the user's password or certificate and key, in the same namespace. */
  secret: z.string().optional(),
  /** For a tls user: when the certificate expires. */
  certificateNotAfter: z.string().optional(),
  /** The last keelson.dev/rotate-credentials value acted on. */
  rotatedFor: z.string().optional(),
});

export type KafkaUserSpec = z.output<typeof KafkaUserSpec>;
export type KafkaUserStatus = z.output<typeof KafkaUserStatus>;
export type Acl = z.output<typeof Acl>;

/** Transition rules checked by the API server on updates. */
export const kafkaUserTransitionRules = [
  {
    rule: 'self.cluster == oldSelf.cluster',
    message: 'cluster cannot change: create a KafkaUser for the other cluster instead',
  },
];

/** Name rules at the root: the name is the Kafka principal and a Secret's name. */
export const kafkaUserNameRules = [
  {
    rule: "size(self.metadata.name) <= 64 && self.metadata.name.matches('^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$')",
    message:
      'metadata.name: a KafkaUser name is its Kafka user name and its Secret name: at most 64 characters, a-z, 0-9, "-" and "."',
  },
];
