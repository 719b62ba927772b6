// Reading and writing what a backup holds besides records: topics with their
// own configs, ACLs, consumer groups' committed offsets and cluster-wide
// dynamic broker configs, through the Admin API.
import {
  AclOperations,
  AclPermissionTypes,
  Admin,
  ConfigResourceTypes,
  ConfigSources,
  ResourcePatternTypes,
  ResourceTypes,
  type Acl,
} from '@platformatic/kafka';
import type { AclBinding, ClusterMetadataBackup, GroupOffsets, TopicBackup } from '../../domain/backup.ts';
import type { KafkaClientOptions } from './client-options.ts';

/** The ids of the Kafka protocol errors in `err` (the client nests them). */
export function protocolErrorIds(err: unknown): string[] {
  if (typeof err !== 'object' || err === null) return [];
  const e = err as { apiId?: string; errors?: unknown[]; cause?: unknown };
  return [
    ...(e.apiId ? [e.apiId] : []),
    ...(e.errors ?? []).flatMap(protocolErrorIds),
    ...(e.cause ? protocolErrorIds(e.cause) : []),
  ];
}

/** A DescribeAcls/DeleteAcls filter that matches every binding. */
export const anyAclFilter = {
  resourceType: ResourceTypes.ANY,
  resourceName: null,
  resourcePatternType: ResourcePatternTypes.ANY,
  principal: null,
  host: null,
  operation: AclOperations.ANY,
  permissionType: AclPermissionTypes.ANY,
} as const;

/** Every ACL binding, or null when the cluster has no authorizer. */
export async function readAcls(admin: Admin): Promise<AclBinding[] | null> {
  try {
    const resources = await admin.describeAcls({ filter: anyAclFilter });
    return resources
      .flatMap((r) =>
        r.acls.map((a) => ({
          resourceType: r.resourceType,
          resourceName: r.resourceName,
          patternType: r.resourcePatternType,
          principal: a.principal,
          host: a.host,
          operation: a.operation,
          permissionType: a.permissionType,
        })),
      )
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  } catch (err) {
    if (protocolErrorIds(err).includes('SECURITY_DISABLED')) return null;
    throw err;
  }
}

export const toAcl = (b: AclBinding): Acl =>
  ({
    resourceType: b.resourceType,
    resourceName: b.resourceName,
    resourcePatternType: b.patternType,
    principal: b.principal,
    host: b.host,
    operation: b.operation,
    permissionType: b.permissionType,
  }) as Acl;

export async function readTopics(admin: Admin): Promise<TopicBackup[]> {
  const names = (await admin.listTopics()).filter((t) => !t.startsWith('__')).sort();
  if (names.length === 0) return [];
  const metadata = await admin.metadata({ topics: names, forceUpdate: true });
  const configs = await admin.describeConfigs({
    resources: names.map((resourceName) => ({ resourceType: ConfigResourceTypes.TOPIC, resourceName })),
  });
  return names.map((name) => {
    const partitions = metadata.topics.get(name)?.partitions ?? [];
    const own = configs.find((c) => c.resourceName === name)?.configs ?? [];
    return {
      name,
      partitions: partitions.length,
      replicationFactor: Math.max(0, ...partitions.map((p) => p.replicas.length)),
      configs: Object.fromEntries(
        own
          .filter(
            (c) =>
              c.configSource === ConfigSources.DYNAMIC_TOPIC_CONFIG && c.value !== null && !c.isSensitive,
          )
          .map((c) => [c.name, c.value ?? '']),
      ),
    };
  });
}

export async function readGroupOffsets(admin: Admin): Promise<GroupOffsets[]> {
  const groups = [...(await admin.listGroups()).keys()].sort();
  if (groups.length === 0) return [];
  const listed = await admin.listConsumerGroupOffsets({ groups });
  return listed
    .map((g) => ({
      groupId: g.groupId,
      offsets: g.topics.flatMap((t) =>
        t.partitions
          .filter((p) => p.committedOffset >= 0n)
          .map((p) => ({
            topic: t.name,
            partition: p.partitionIndex,
            offset: p.committedOffset.toString(),
            metadata: p.metadata ?? null,
          })),
      ),
    }))
    .filter((g) => g.offsets.length > 0);
}

/** Every cluster-wide dynamic broker config (not only those Keelson sets from the spec). */
export async function readBrokerDefaults(admin: Admin): Promise<Record<string, string>> {
  const [description] = await admin.describeConfigs({
    resources: [{ resourceType: ConfigResourceTypes.BROKER, resourceName: '' }],
  });
  return Object.fromEntries(
    (description?.configs ?? [])
      .filter((c) => c.configSource === ConfigSources.DYNAMIC_DEFAULT_BROKER_CONFIG && c.value !== null)
      .filter((c) => !c.isSensitive)
      .map((c) => [c.name, c.value ?? '']),
  );
}

export async function readClusterMetadata(client: KafkaClientOptions): Promise<ClusterMetadataBackup> {
  const admin = new Admin(client);
  try {
    return {
      topics: await readTopics(admin),
      acls: await readAcls(admin),
      groups: await readGroupOffsets(admin),
      brokerConfigs: await readBrokerDefaults(admin),
    };
  } finally {
    await admin.close();
  }
}
