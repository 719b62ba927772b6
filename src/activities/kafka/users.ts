// Reconciling every KafkaUser of one cluster in one activity: their Secrets
// (a password Keelson makes, or a certificate of the clients CA), their SCRAM
// credentials, ACLs and quotas in Kafka, through a few batched Admin calls,
// and each user's status. Passwords and keys are made and read here and
// never leave the activity: the workflow gets counts back. A user being
// deleted loses its credential, ACLs and quotas before its finalizer goes.
import { readSecret, secretFiles, secretText, writeSecret } from '../kubernetes/secret-data.ts';
import { clusterResources, type ClusterResource } from '../kubernetes/cluster-resources.ts';
import type { KubeConfig, V1Secret } from '@kubernetes/client-node';
import { KubeApi } from '../../kubernetes/api.ts';
import {
  AclOperations,
  AclPermissionTypes,
  Admin,
  ClientQuotaMatchTypes,
  ResourcePatternTypes,
  ResourceTypes,
  type Acl as KafkaAcl,
} from '@platformatic/kafka';
import { heartbeat } from '@temporalio/activity';
import { randomBytes } from 'node:crypto';
import { KafkaClusterSpec } from '../../crd/kafka-cluster.ts';
import {
  KafkaUserSpec,
  aclOperations,
  group,
  userKind,
  userPlural,
  version,
  type KafkaUserStatus,
} from '../../crd/kafka-user.ts';
import { reissueReason } from '../../domain/certificates.ts';
import {
  aclChanges,
  desiredAcls,
  quotaChanges,
  rotateCredentialsAnnotation,
  userFinalizer,
  userPrincipal,
  type AclEntry,
  type QuotaKey,
} from '../../domain/kafka-users.ts';
import { names } from '../../domain/names.ts';
import { readyBrokerAddresses, type ObservedNode } from '../../domain/observed.ts';
import { isSecured, kafkaAccess, operatorPort, specAtRecordedStage } from '../../domain/tls.ts';
import { trustedCaBundle } from '../tls/certificates.ts';
import { issue, loadCa, certificateFacts } from '../tls/pki.ts';
import type { KafkaClients } from './client-options.ts';
import { withConnection } from './connection.ts';
import { readAcls } from './cluster-metadata.ts';
import { deleteScramCredential, scramUsers, upsertScramCredential } from './scram-credentials.ts';

type UserObject = ClusterResource<KafkaUserStatus>;

export interface UsersOutcome {
  users: number;
  ready: number;
  notReady: number;
  removed: number;
  /** The cluster is gone and no user of it is left: the users workflow may end. */
  clusterGone: boolean;
}

type Deps = {
  kube: KubeConfig;
  kafka: KafkaClients;
  observeNodes: (key: { namespace: string; cluster: string; uid?: string }) => Promise<ObservedNode[]>;
  /** Told of the users' certificates and their expiry at each pass (the operator's expiry gauge). */
  observeCertificates?: (
    cluster: { namespace: string; name: string },
    certificates: readonly { secret: string; kind: string; notAfter: string }[],
    group: string,
  ) => void;
};

const operationValue = (name: string) =>
  AclOperations[name.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase() as keyof typeof AclOperations];
const operationName = Object.fromEntries(aclOperations.map((name) => [operationValue(name), name])) as Record<
  number,
  string
>;
const resourceTypes = {
  topic: ResourceTypes.TOPIC,
  group: ResourceTypes.GROUP,
  cluster: ResourceTypes.CLUSTER,
  transactionalId: ResourceTypes.TRANSACTIONAL_ID,
} as const;
const resourceTypeName = Object.fromEntries(Object.entries(resourceTypes).map(([k, v]) => [v, k])) as Record<
  number,
  AclEntry['resourceType']
>;

const toKafkaAcl = (e: AclEntry): KafkaAcl => ({
  resourceType: resourceTypes[e.resourceType],
  resourceName: e.resourceName,
  resourcePatternType:
    e.patternType === 'prefixed' ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
  principal: e.principal,
  host: e.host,
  operation: operationValue(e.operation),
  permissionType: e.permission === 'deny' ? AclPermissionTypes.DENY : AclPermissionTypes.ALLOW,
});

/** 32 characters from a 62-letter alphabet: about 190 bits. */
function newPassword(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(64)]
    .filter((b) => b < 248) // 248 = 4 × 62: no bias
    .slice(0, 32)
    .map((b) => alphabet[b % 62])
    .join('');
}

export function userActivities(deps: Deps) {
  const api = new KubeApi(deps.kube);
  const resources = clusterResources<KafkaUserStatus>(deps.kube, userPlural);
  const { writeStatus, readyCondition: condition } = resources;

  /** The user's Secret: created or replaced only when it is the user's own (owned by its uid). */
  async function writeUserSecret(
    user: UserObject,
    existing: V1Secret | undefined,
    files: Record<string, string>,
  ) {
    const { name, namespace, uid } = user.metadata;
    const owner = existing?.metadata?.ownerReferences?.find((r) => r.controller)?.uid;
    if (existing && owner !== uid) {
      throw new Error(`Secret ${namespace}/${name} exists and is not this KafkaUser's; delete or rename it`);
    }
    await writeSecret(
      api,
      {
        name,
        namespace,
        labels: { 'app.kubernetes.io/managed-by': 'keelson', 'keelson.dev/kafka-user': name },
        owner: {
          apiVersion: `${group}/${version}`,
          kind: userKind,
          name,
          uid,
          controller: true,
          blockOwnerDeletion: true,
        },
        files,
      },
      existing,
    );
  }

  return {
    /**
     * Brings Kafka and the Secrets in line with every KafkaUser of the
     * cluster, and writes each user's status. Returns counts only.
     */
    async reconcileUsers(input: { namespace: string; cluster: string }): Promise<UsersOutcome> {
      const { namespace } = input;
      const users = await resources.list(namespace, input.cluster);
      const outcome: UsersOutcome = {
        users: users.length,
        ready: 0,
        notReady: 0,
        removed: 0,
        clusterGone: false,
      };
      const clusterObject = await resources.readCluster(namespace, input.cluster);

      const release = async (user: UserObject) => {
        await resources.removeFinalizer(user, userFinalizer);
        outcome.removed++;
      };
      const notReady = async (user: UserObject, reason: string, message: string) => {
        outcome.notReady++;
        await resources.notReady(user, reason, message);
      };

      if (clusterObject === undefined) {
        // Nothing left in Kafka to clean up: the cluster is gone.
        for (const user of users) {
          if (user.metadata.deletionTimestamp) await release(user);
          else
            await notReady(
              user,
              'ClusterNotFound',
              `KafkaCluster ${namespace}/${input.cluster} does not exist`,
            );
        }
        outcome.clusterGone = users.every((u) => u.metadata.deletionTimestamp);
        return outcome;
      }
      const clusterSpec = KafkaClusterSpec.safeParse(clusterObject.spec);
      const clusterRef = { namespace, name: input.cluster, uid: clusterObject.metadata.uid };
      if (!clusterSpec.success || clusterSpec.data.security === undefined) {
        for (const user of users) {
          if (user.metadata.deletionTimestamp) await release(user);
          else
            await notReady(
              user,
              'ClusterNotSecured',
              `KafkaCluster ${namespace}/${input.cluster} has no spec.security: its brokers know no users`,
            );
        }
        return outcome;
      }
      const stage = clusterObject.status?.securityStage;
      const spec = specAtRecordedStage(clusterSpec.data, stage);
      const security = clusterSpec.data.security;
      if (!isSecured(spec)) {
        for (const user of users)
          if (!user.metadata.deletionTimestamp)
            await notReady(
              user,
              'ClusterNotSecured',
              `KafkaCluster ${namespace}/${input.cluster} is not secured yet`,
            );
        return outcome;
      }
      const observed = await deps.observeNodes({ namespace, cluster: input.cluster, uid: clusterRef.uid });
      const addresses = readyBrokerAddresses(observed, operatorPort(spec));
      if (addresses.length === 0) {
        for (const user of users)
          if (!user.metadata.deletionTimestamp)
            await notReady(user, 'ClusterNotReady', `no broker of ${input.cluster} is ready yet`);
        throw new Error(`no broker of ${namespace}/${input.cluster} is ready`);
      }
      const client = await deps.kafka.options(kafkaAccess(clusterRef, spec, addresses));
      const clientsCaSecret = security.clientsCa.secretName ?? names.clientsCa(input.cluster);
      const clusterCaSecret = security.clusterCa.secretName ?? names.clusterCa(input.cluster);
      // The CAs a client must trust: during a CA renewal, the next or previous one too.
      const caStored = await readSecret(api, namespace, clusterCaSecret);
      const clusterCaPem = trustedCaBundle(secretFiles(caStored));

      const admin = new Admin(client);
      try {
        const [currentAcls, quotas, scram] = await Promise.all([
          readAcls(admin).then((acls) => acls ?? []),
          admin.describeClientQuotas({
            components: [{ entityType: 'user', matchType: ClientQuotaMatchTypes.ANY }],
          }),
          withConnection(client, scramUsers),
        ]);
        const current: AclEntry[] = currentAcls
          .filter((a) => resourceTypeName[a.resourceType] !== undefined && operationName[a.operation])
          .map((a) => ({
            resourceType: resourceTypeName[a.resourceType] as AclEntry['resourceType'],
            resourceName: a.resourceName,
            patternType: a.patternType === ResourcePatternTypes.PREFIXED ? 'prefixed' : 'literal',
            principal: a.principal,
            host: a.host,
            operation: operationName[a.operation] ?? '',
            permission: a.permissionType === AclPermissionTypes.DENY ? 'deny' : 'allow',
          }));
        const quotasOf = new Map<string, Partial<Record<QuotaKey, number>>>();
        for (const entry of quotas) {
          const userName = entry.entity.find((e) => e.entityType === 'user')?.entityName;
          if (userName && entry.entity.length === 1)
            quotasOf.set(userName, Object.fromEntries(entry.values.map((v) => [v.key, v.value])));
        }

        const desired: AclEntry[] = [];
        const managed = new Set(users.map((u) => userPrincipal(u.metadata.name)));
        const quotaEntries: Parameters<Admin['alterClientQuotas']>[0]['entries'] = [];
        const settled: { user: UserObject; status: KafkaUserStatus }[] = [];

        for (const [index, user] of users.entries()) {
          heartbeat({ user: index, of: users.length });
          const name = user.metadata.name;
          if (user.metadata.deletionTimestamp) {
            // Everything of the user goes: credential, ACLs (no desired entries), quotas.
            if (scram.has(name)) await withConnection(client, (c) => deleteScramCredential(c, name));
            const held = quotasOf.get(name);
            if (held && Object.keys(held).length > 0)
              quotaEntries.push({
                entities: [{ entityType: 'user', entityName: name }],
                ops: Object.keys(held).map((key) => ({ key: key as QuotaKey, remove: true as const })),
              });
            continue;
          }
          const parsed = KafkaUserSpec.safeParse(user.spec);
          if (!parsed.success) {
            await notReady(
              user,
              'InvalidSpec',
              parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
            );
            // Keep what it held until its spec is fixed: nothing is removed on a typo.
            desired.push(...current.filter((e) => e.principal === userPrincipal(name)));
            continue;
          }
          const userSpec = parsed.data;
          try {
            await resources.addFinalizer(user, userFinalizer);
            const rotateFor = user.metadata.annotations?.[rotateCredentialsAnnotation];
            const rotate = rotateFor !== undefined && rotateFor !== user.status?.rotatedFor;
            const secret = await readSecret(api, namespace, name);
            const status: KafkaUserStatus = {
              username: name,
              secret: name,
              ...(user.metadata.generation !== undefined
                ? { observedGeneration: user.metadata.generation }
                : {}),
              ...(rotateFor !== undefined ? { rotatedFor: rotateFor } : {}),
            };
            if (userSpec.authentication.type === 'scram-sha-512') {
              let password = secretText(secret, 'password');
              const fresh = password === undefined || rotate;
              if (fresh) {
                password = newPassword();
                await writeUserSecret(user, secret, {
                  password,
                  'sasl.jaas.config': `org.apache.kafka.common.security.scram.ScramLoginModule required username="${name}" password="${password}";`,
                  'ca.crt': clusterCaPem,
                });
              }
              if (fresh || !scram.has(name))
                await withConnection(client, (c) => upsertScramCredential(c, name, password ?? ''));
            } else {
              if (scram.has(name)) await withConnection(client, (c) => deleteScramCredential(c, name));
              const pem = secretText(secret, 'user.crt');
              const caSecret = await readSecret(api, namespace, clientsCaSecret);
              const ca = await loadCa(
                secretText(caSecret, 'ca.crt') ?? '',
                secretText(caSecret, 'ca.key') ?? '',
              );
              const facts = pem ? certificateFacts(pem) : undefined;
              const reason = rotate
                ? 'rotation asked for'
                : reissueReason(
                    facts && { ...facts, signedByCurrentCa: facts.signedBy(ca.certificatePem) },
                    {
                      dnsNames: [],
                      renewalDays: security.clientsCa.renewalDays,
                      caNotAfterMs: ca.certificate.notAfter.getTime(),
                    },
                    Date.now(),
                  );
              let notAfterMs = facts?.notAfterMs ?? 0;
              if (reason !== undefined) {
                const pair = await issue(ca, {
                  commonName: name,
                  dnsNames: [],
                  usage: 'client',
                  validityDays: security.clientsCa.validityDays,
                });
                await writeUserSecret(user, secret, {
                  'user.crt': pair.certificatePem,
                  'user.key': pair.keyPem,
                  'ca.crt': clusterCaPem,
                });
                notAfterMs = certificateFacts(pair.certificatePem).notAfterMs;
              }
              status.certificateNotAfter = new Date(notAfterMs).toISOString();
            }
            // The trusted CAs follow a cluster CA renewal; the credential stays.
            const stored = await readSecret(api, namespace, name);
            if (stored && secretText(stored, 'ca.crt') !== clusterCaPem) {
              const kept = secretFiles(stored);
              await writeUserSecret(user, stored, { ...kept, 'ca.crt': clusterCaPem });
            }
            desired.push(...desiredAcls(name, userSpec));
            const quota = quotaChanges(userSpec.quotas, quotasOf.get(name) ?? {});
            if (quota)
              quotaEntries.push({
                entities: [{ entityType: 'user', entityName: name }],
                ops: [
                  ...Object.entries(quota.set).map(([key, value]) => ({
                    key: key as QuotaKey,
                    value,
                    remove: false as const,
                  })),
                  ...quota.remove.map((key) => ({ key, remove: true as const })),
                ],
              });
            settled.push({ user, status });
          } catch (err) {
            await notReady(user, 'Failed', (err as Error).message);
            desired.push(...current.filter((e) => e.principal === userPrincipal(name)));
          }
        }

        // The batched Kafka changes: one call each for all users.
        const { create, remove } = aclChanges(desired, current, managed);
        if (remove.length > 0)
          await admin.deleteAcls({
            filters: remove.map((e) => toKafkaAcl(e)),
          });
        if (create.length > 0) await admin.createAcls({ creations: create.map(toKafkaAcl) });
        if (quotaEntries.length > 0) {
          const results = await admin.alterClientQuotas({ entries: quotaEntries });
          const failed = results.find((r) => r.errorCode !== 0);
          if (failed) throw new Error(`setting quotas failed: ${failed.errorMessage ?? failed.errorCode}`);
        }

        for (const user of users) if (user.metadata.deletionTimestamp) await release(user);
        deps.observeCertificates?.(
          { namespace, name: input.cluster },
          settled.flatMap(({ status }) =>
            status.certificateNotAfter && status.secret
              ? [{ secret: status.secret, kind: 'user', notAfter: status.certificateNotAfter }]
              : [],
          ),
          'users',
        );
        for (const { user, status } of settled) {
          outcome.ready++;
          await writeStatus(user, {
            ...status,
            conditions: [
              condition(
                user,
                true,
                'Ready',
                `${user.metadata.name} can authenticate with ${(user.spec as KafkaUserSpec).authentication.type} and holds ${desiredAcls(user.metadata.name, KafkaUserSpec.parse(user.spec)).length} ACL entries`,
              ),
            ],
          });
        }
        return outcome;
      } finally {
        await admin.close();
      }
    },
  };
}
