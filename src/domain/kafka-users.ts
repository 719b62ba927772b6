// What Kafka must hold for the KafkaUsers of a cluster, as plain data: each
// user's ACL entries (one per operation, as Kafka stores them) and quotas,
// and the changes that bring Kafka's current state there. Only principals
// of KafkaUsers are ever touched: ACLs of anyone else are left alone.
import type { KafkaUserSpec } from '../crd/kafka-user.ts';

export const userPrincipal = (name: string): string => `User:${name}`;

/** Set on every KafkaUser Keelson reconciles: deletion waits until its credentials, ACLs and quotas are gone. */
export const userFinalizer = 'keelson.dev/user-cleanup';
/** Changing this annotation's value asks for a new password or certificate. */
export const rotateCredentialsAnnotation = 'keelson.dev/rotate-credentials';

export type AclResourceType = 'topic' | 'group' | 'cluster' | 'transactionalId';

/** One ACL as Kafka stores it: a single operation on a single resource pattern. */
export interface AclEntry {
  resourceType: AclResourceType;
  resourceName: string;
  patternType: 'literal' | 'prefixed';
  principal: string;
  host: string;
  operation: string;
  permission: 'allow' | 'deny';
}

/** Kafka's name of the cluster resource. */
export const clusterResourceName = 'kafka-cluster';

export function desiredAcls(user: string, spec: Pick<KafkaUserSpec, 'authorization'>): AclEntry[] {
  const entries = new Map<string, AclEntry>();
  for (const acl of spec.authorization.acls) {
    for (const operation of acl.operations) {
      const entry: AclEntry = {
        resourceType: acl.resource.type,
        resourceName: acl.resource.type === 'cluster' ? clusterResourceName : (acl.resource.name ?? ''),
        patternType: acl.resource.type === 'cluster' ? 'literal' : acl.resource.patternType,
        principal: userPrincipal(user),
        host: acl.host,
        operation,
        permission: acl.type,
      };
      entries.set(aclKey(entry), entry);
    }
  }
  return [...entries.values()];
}

export const aclKey = (e: AclEntry): string =>
  [e.principal, e.resourceType, e.patternType, e.resourceName, e.host, e.operation, e.permission].join(
    '\u0000',
  );

/** The ACLs to create and to delete so that each managed principal holds exactly its desired ones. */
export function aclChanges(
  desired: readonly AclEntry[],
  current: readonly AclEntry[],
  managedPrincipals: ReadonlySet<string>,
): { create: AclEntry[]; remove: AclEntry[] } {
  const wanted = new Set(desired.map(aclKey));
  const held = new Set(current.map(aclKey));
  return {
    create: desired.filter((e) => !held.has(aclKey(e))),
    remove: current.filter((e) => managedPrincipals.has(e.principal) && !wanted.has(aclKey(e))),
  };
}

export const quotaKeys = {
  producerByteRate: 'producer_byte_rate',
  consumerByteRate: 'consumer_byte_rate',
  requestPercentage: 'request_percentage',
} as const;

export type QuotaKey = (typeof quotaKeys)[keyof typeof quotaKeys];

/** The quota values to set and the keys to remove for one user (undefined when nothing changes). */
export function quotaChanges(
  wanted: KafkaUserSpec['quotas'] | undefined,
  current: Readonly<Partial<Record<QuotaKey, number>>>,
): { set: Partial<Record<QuotaKey, number>>; remove: QuotaKey[] } | undefined {
  const set: Partial<Record<QuotaKey, number>> = {};
  const remove: QuotaKey[] = [];
  for (const [field, key] of Object.entries(quotaKeys) as [keyof typeof quotaKeys, QuotaKey][]) {
    const value = wanted?.[field];
    if (value === undefined) {
      if (current[key] !== undefined) remove.push(key);
    } else if (current[key] !== value) set[key] = value;
  }
  return Object.keys(set).length === 0 && remove.length === 0 ? undefined : { set, remove };
}
