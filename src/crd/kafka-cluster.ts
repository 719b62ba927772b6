// The KafkaCluster custom resource (keelson.dev/v1alpha1, short name kc): the
// single description of the API. TypeScript types, runtime validation (zod)
// and the CRD in deploy/helm/keelson/crds (via `keelson crd` / `npm run gen:crd`) all come
// from the schemas below; cross-field rules live in ./spec-rules.ts.
import { Metrics } from './metrics.ts';
import { z } from 'zod';
import { knownMetadataVersions, supportedKafkaVersions } from './kafka-versions.ts';
import { maxConfigValueLength, operatorOwnedConfigKeys } from './owned-config.ts';
import { intervalMessage, scheduleMessage, schedulePattern, scheduleProblem } from './backup-schedule.ts';
import { withRules } from './rules.ts';
import { PodTemplate } from './pod-template.ts';
import {
  backupRules,
  restoreDrillRules,
  drillRules,
  listenerRules,
  metadataVersionRules,
  nodePoolRules,
  specRules,
  storageRules,
  configRules,
  certificateAuthorityRules,
} from './spec-rules.ts';

import type { apiVersion, kind } from './kafka-cluster-names.ts';
export { apiVersion, group, kind, plural, version } from './kafka-cluster-names.ts';

const dnsLabel = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(
      /^[a-z]([-a-z0-9]*[a-z0-9])?$/,
      'must be a lowercase DNS label: a-z, 0-9 and "-", starting with a letter',
    );

const quantity = z
  .string()
  .regex(
    /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|Ki|Mi|Gi|Ti|Pi)?$/,
    'must be a Kubernetes quantity such as 500m, 2Gi or 100Gi',
  );

/** Go-style durations, as CEL's duration() parses them. */
export const durationPattern = /^([0-9]+(ms|s|m|h))+$/;
const duration = z.string().regex(durationPattern, 'must be a duration such as 30s, 5m or 1h30m');

/** A list of distinct values: a set for the API server, a uniqueness check for zod. */
const setOf = <T extends z.ZodType>(item: T, min: number, max: number) =>
  z
    .array(item)
    .min(min)
    .max(max)
    .refine((values) => new Set(values).size === values.length, 'Duplicate value: each value may appear once')
    .meta({ 'x-kubernetes-list-type': 'set' });

/**
 * An optional section whose default is the section with all its own defaults
 * filled in: the API server checks a default against the section's rules as
 * it stands, without applying the defaults nested inside it.
 */
const withDefaults = <T extends z.ZodType>(schema: T) => schema.default(schema.parse({}) as never);

const resourceList = z.object({ cpu: quantity.optional(), memory: quantity.optional() });

export const Storage = withRules(
  z.object({
    /** Size of each node's PersistentVolumeClaim. */
    size: quantity,
    /** StorageClass of the claims. @default the cluster's default class */
    class: z.string().min(1).max(253).optional(),
    /** Delete a node's claim when scale-down removes the node. @default false (keep the data) */
    deleteClaim: z.boolean().default(false),
  }),
  storageRules,
);

export const NodePool = withRules(
  z.object({
    name: dnsLabel(20),
    roles: setOf(z.enum(['controller', 'broker']), 1, 2),
    replicas: z.int().min(0).max(99),
    /** Zones the pool's nodes are spread over, round-robin by node index. */
    zones: setOf(z.string().min(1).max(63), 1, 10),
    storage: Storage,
    resources: z.object({ requests: resourceList.optional(), limits: resourceList.optional() }).optional(),
    /** Settings of the pool's pods: JVM, image, scheduling, labels; a change rolls the pool. */
    template: PodTemplate.optional(),
  }),
  nodePoolRules,
);

const nodePort = z.int().min(30000).max(32767);
const hostName = z
  .string()
  .min(1)
  .max(253)
  .regex(
    /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*|[0-9a-fA-F.:]+)$/,
    'must be a DNS name or an IP address',
  );

export const ExternalListener = z.object({
  /** The bootstrap Service's node port (nodeport). @default one Kubernetes assigns */
  bootstrapNodePort: nodePort.optional(),
  /** Per broker, by node id: the address it advertises instead of the one Keelson finds, and its node port. */
  brokers: z
    .array(
      z.object({
        nodeId: z.int().min(0).max(99_999),
        /** The host clients use for this broker (a DNS name in front of it, say). */
        host: hostName.optional(),
        /** The port clients use for this broker. */
        port: z.int().min(1).max(65535).optional(),
        /** The node port of this broker's Service (nodeport). @default one Kubernetes assigns */
        nodePort: nodePort.optional(),
      }),
    )
    .max(100)
    .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['nodeId'] })
    .optional(),
  /** Annotations of the listener's Services (a cloud load balancer's settings, say). */
  annotations: z
    .record(
      z
        .string()
        .min(1)
        .max(316)
        .regex(/^[A-Za-z0-9./_-]+$/, 'must be an annotation key'),
      z.string().max(4096),
    )
    .meta({ maxProperties: 32 })
    .optional(),
});

export const Listener = withRules(
  z.object({
    /** Listener name, upper-cased in the broker config. CONTROLLER is reserved. */
    name: dnsLabel(15),
    port: z.int().min(1024).max(65535),
    /** TLS on this listener, with the node certificates of the cluster CA (needs security). @default false */
    tls: z.boolean().default(false),
    /**
     * How clients prove who they are: scram-sha-512 (a KafkaUser's password)
     * or mtls (a certificate of the clients CA). Both need tls. @default none
     */
    authentication: z
      .object({ type: z.enum(['none', 'scram-sha-512', 'mtls']).default('none') })
      .default({ type: 'none' }),
    /**
     * internal: reached by pod address inside Kubernetes; nodeport: a NodePort
     * Service per broker and one to bootstrap, brokers advertising their node's
     * address and node port; loadbalancer: a LoadBalancer Service per broker and
     * one to bootstrap, brokers advertising their load balancer's address.
     * @default internal
     */
    type: z.enum(['internal', 'nodeport', 'loadbalancer']).default('internal'),
    /** Settings of an external (nodeport or loadbalancer) listener. */
    external: ExternalListener.optional(),
  }),
  listenerRules,
);

export const MetadataVersion = withRules(
  z.object({
    /** FollowKafkaVersion raises metadata.version after each upgrade completes; Pinned keeps `version`. */
    policy: z.enum(['FollowKafkaVersion', 'Pinned']).default('FollowKafkaVersion'),
    version: z.enum(knownMetadataVersions).optional(),
  }),
  metadataVersionRules,
);

export const Rebalance = z.object({
  /**
   * Replication throttle (bytes/s, per broker) while scaling moves replicas,
   * so the moves do not starve clients and ISR catch-up. @default 52428800 (50 MiB/s)
   */
  throttleBytesPerSecond: z.int().min(1_048_576).max(10_737_418_240).default(52_428_800),
});

const weekday = z.enum(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']);

export const Rollout = z.object({
  /** Pause between two node restarts of a roll. @default 0s */
  delayBetweenRestarts: duration.default('0s'),
  /** Restart all brokers of one zone at once when every partition keeps min.insync.replicas elsewhere. @default false */
  zoneBatched: z.boolean().default(false),
  /** When rolls may start (UTC); none means any time. */
  maintenanceWindows: z
    .array(
      z.object({
        days: setOf(weekday, 1, 7),
        start: z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, 'must be a UTC time of day such as 02:00'),
        duration,
      }),
    )
    .max(14)
    .default([]),
});

/** A 5-field cron expression (UTC) or "@every <duration>", as the Temporal server takes it. */
const scheduleField = z
  .string()
  .max(256)
  .regex(new RegExp(schedulePattern), scheduleMessage)
  .superRefine((schedule, ctx) => {
    const problem = scheduleProblem(schedule);
    // The pattern and the interval rule (backupRules) report their own; add what neither sees.
    if (problem && problem !== scheduleMessage && problem !== intervalMessage) {
      ctx.addIssue({ code: 'custom', message: problem });
    }
  });

/**
 * Checking that the newest backup restores, without touching this cluster:
 * it is restored into a scratch KafkaCluster made for the drill (same Kafka
 * version and config), every partition's records and offsets are compared
 * with the backup, and the scratch cluster is deleted.
 */
export const RestoreDrill = withRules(
  z.object({
    /** When drills run (cron in UTC, or "@every <duration>"); without one, only on demand (`keelson backup drill`). */
    schedule: scheduleField.optional(),
    /** Nodes of the scratch cluster (each a controller and a broker): at least the backup's largest replication factor, and 2. @default 3 */
    brokers: z.int().min(2).max(9).default(3),
    /** Storage of each scratch node. @default the size of the cluster's first node pool */
    storageSize: quantity.optional(),
  }),
  restoreDrillRules,
);

export const Backup = withRules(
  z.object({
    /** When automatic backups run: a 5-field cron expression (UTC), or "@every <duration>". */
    schedule: scheduleField.optional(),
    target: z.object({
      s3: z
        .object({
          bucket: z.string().min(3).max(63),
          prefix: z.string().max(512).optional(),
          endpoint: z.url().optional(),
          region: z.string().max(64).optional(),
          /** Secret in the cluster's namespace with keys accessKeyId and secretAccessKey. */
          credentialsSecret: dnsLabel(253),
        })
        .optional(),
      filesystem: z.object({ path: z.string().regex(/^\//, 'must be an absolute path') }).optional(),
    }),
    retention: z
      .object({
        keepLast: z.int().min(1).max(1000).default(7),
        maxAge: duration.optional(),
      })
      .default({ keepLast: 7 }),
    /** Also copy the records of these topics (names, or patterns with `*`), up to maxBytes in all. */
    records: z
      .object({
        topics: z
          .array(
            z
              .string()
              .min(1)
              .max(249)
              .regex(
                /^[a-zA-Z0-9._*-]+$/,
                'must be a topic name (a-z, A-Z, 0-9, ".", "_", "-") where "*" stands for any run of characters',
              ),
          )
          .min(1)
          .max(100),
        maxBytes: quantity,
      })
      .optional(),
    restoreDrill: RestoreDrill.optional(),
  }),
  backupRules,
);

export const Drill = withRules(
  z.object({
    /** How long a drill keeps a zone down when `--hold` is not given. @default 10m */
    defaultHold: duration.default('10m'),
    /** The longest hold a drill may ask for. @default 1h */
    maxHold: duration.default('1h'),
  }),
  drillRules,
);

/** What happens when every pod of one zone stays unready (a zone failure, not a drill). */
export const ZoneFailover = z.object({
  /** Move partition leadership out of an unavailable zone, and back when it returns. @default true */
  enabled: z.boolean().default(true),
  /** How long all of a zone's pods must stay unready before leadership moves out. @default 2m */
  after: duration.default('2m'),
});

export const BrokerConfig = withRules(
  z
    // Values are strings or integers (Kubernetes int-or-string): quote booleans and decimals.
    .record(z.string(), z.union([z.string().max(maxConfigValueLength), z.int()]))
    .refine((config) => Object.keys(config).length <= 200, 'config may hold at most 200 keys')
    .meta({ maxProperties: 200 }),
  configRules,
);

export const CertificateAuthority = withRules(
  z.object({
    /** Days each certificate this CA signs stays valid (and the CA itself, five times as long, when Keelson makes it). @default 365 */
    validityDays: z.int().min(2).max(3650).default(365),
    /** Days before expiry a certificate is renewed. @default 30 */
    renewalDays: z.int().min(1).max(3649).default(30),
    /**
     * A Secret in the cluster's namespace with the keys ca.crt and ca.key that
     * you provide: Keelson signs with it, never changes it and reports its expiry.
     * @default a CA Keelson makes and keeps in <cluster>-cluster-ca / <cluster>-clients-ca
     */
    secretName: dnsLabel(253).optional(),
  }),
  certificateAuthorityRules,
);

/** A principal name: a KafkaUser's name, or the common name of a client certificate. */
const principalName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]*$/, 'must be a user name: letters, digits, ".", "_", "@" and "-"');

/**
 * A secured cluster: every node has a certificate from the cluster CA; the
 * controller quorum, replication and Keelson's own connections use mutual TLS
 * on a listener of their own (replication, port 9091).
 */
export const Security = z.object({
  /** Signs the nodes' certificates and Keelson's own client certificate. */
  clusterCa: withDefaults(CertificateAuthority),
  /** Signs the certificates of users who authenticate with mtls. */
  clientsCa: withDefaults(CertificateAuthority),
  /** Kafka's StandardAuthorizer: only the brokers, Keelson and superUsers may do anything no ACL allows. */
  authorization: z
    .object({
      type: z.literal('simple'),
      /** More principals allowed everything (user names, without "User:"). */
      superUsers: setOf(principalName, 0, 20).default([]),
    })
    .optional(),
  /**
   * A NetworkPolicy: the controller and replication ports only from the
   * cluster's nodes and Keelson, the listeners only from the cluster's
   * namespace, Keelson and clientNamespaces. @default enabled
   */
  networkPolicy: z
    .object({
      enabled: z.boolean().default(true),
      /** More namespaces (by name) whose pods may reach the listeners. */
      clientNamespaces: setOf(
        z
          .string()
          .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
          .max(63),
        0,
        50,
      ).default([]),
    })
    .default({ enabled: true, clientNamespaces: [] }),
});

export const KafkaClusterSpec = withRules(
  z.object({
    kafkaVersion: z.enum(supportedKafkaVersions),
    nodePools: z
      .array(NodePool)
      .min(1)
      .max(10)
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] }),
    listeners: z
      .array(Listener)
      .min(1)
      .max(8)
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] })
      .default([
        { name: 'plain', port: 9092, tls: false, authentication: { type: 'none' }, type: 'internal' },
      ]),
    /** Broker configuration overrides; keys the operator owns are refused. */
    config: BrokerConfig.default({}),
    replication: z
      .object({
        defaultReplicationFactor: z.int().min(1).max(10).default(3),
        minInSyncReplicas: z.int().min(1).max(10).default(2),
      })
      .default({ defaultReplicationFactor: 3, minInSyncReplicas: 2 }),
    /** Set broker.rack to each node's zone so replicas spread across zones. @default true */
    rackAwareness: z.boolean().default(true),
    metadataVersion: withDefaults(MetadataVersion),
    rollout: withDefaults(Rollout),
    rebalance: withDefaults(Rebalance),
    /** Stop acting on the cluster (no operations start) until unset. @default false */
    paused: z.boolean().default(false),
    /**
     * The Kafka cluster id (22 characters of base64url), set only to run a new
     * KafkaCluster on the volume claims an earlier one of the same name kept:
     * the id in their keelson.dev/kafka-cluster-id annotation. Fixed once set.
     * @default derived from the KafkaCluster's uid
     */
    kafkaClusterId: z
      .string()
      .regex(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/, 'must be a Kafka cluster id: 22 characters of base64url')
      .optional(),
    backup: Backup.optional(),
    drill: withDefaults(Drill),
    zoneFailover: withDefaults(ZoneFailover),
    security: Security.optional(),
    /** The brokers' metrics on a `metrics` port of each pod (the JMX exporter). */
    metrics: Metrics.optional(),
  }),
  specRules,
);

export {
  Condition,
  conditionTypes,
  DrillReport,
  LastBackup,
  LastRestoreDrill,
} from './kafka-cluster-status.ts';
export { KafkaClusterStatus };
import { KafkaClusterStatus } from './kafka-cluster-status.ts';

export type KafkaClusterSpec = z.output<typeof KafkaClusterSpec>;
export type KafkaClusterSpecInput = z.input<typeof KafkaClusterSpec>;
export type NodePool = z.output<typeof NodePool>;
export type Listener = z.output<typeof Listener>;
export type Security = z.output<typeof Security>;
export type CertificateAuthority = z.output<typeof CertificateAuthority>;

export interface KafkaCluster {
  apiVersion: typeof apiVersion;
  kind: typeof kind;
  metadata: { name: string; namespace: string; uid?: string; generation?: number; resourceVersion?: string };
  spec: KafkaClusterSpec;
  status?: KafkaClusterStatus;
}

export { operatorOwnedConfigKeys };
