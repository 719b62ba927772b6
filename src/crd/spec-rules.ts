// Cross-field rules of the KafkaCluster spec (see ./rules.ts for how each is
// enforced both at admission and in the workflow). Types here are structural
// so this file does not depend on the schemas that use it.
import { intervalCel, intervalMessage, scheduleProblem } from './backup-schedule.ts';
import { parseDurationMs } from './duration.ts';
import { replicationListener, tlsControllerListener } from './reserved-listeners.ts';
import {
  configKeyPattern,
  configValueForbidden,
  maxConfigKeyLength,
  operatorOwnedConfigKeys,
  securityOwnedConfigKeys,
  securityOwnedConfigPrefix,
} from './owned-config.ts';
import type { Rule } from './rules.ts';

const securityKeysCel = `[${securityOwnedConfigKeys.map((k) => `'${k}'`).join(', ')}]`;
const isSecurityKeyCel = (k: string) =>
  `(${k} in ${securityKeysCel} || ${k}.startsWith('${securityOwnedConfigPrefix}'))`;
const isSecurityKey = (key: string): boolean =>
  (securityOwnedConfigKeys as readonly string[]).includes(key) || key.startsWith(securityOwnedConfigPrefix);

export { replicationListener, tlsControllerListener };

interface PoolShape {
  roles: string[];
  replicas: number;
}
interface SpecShape {
  nodePools: PoolShape[];
  listeners: {
    name: string;
    port: number;
    tls: boolean;
    type?: string;
    external?: { brokers?: { host?: string | undefined }[] | undefined } | undefined;
  }[];
  security?: unknown;
  metrics?: { jmxExporter: { enabled: boolean; port: number } } | undefined;
  config: Record<string, unknown>;
  replication: { defaultReplicationFactor: number; minInSyncReplicas: number };
}

const nodesWithRole = (spec: SpecShape, role: string): number =>
  spec.nodePools.filter((p) => p.roles.includes(role)).reduce((sum, p) => sum + p.replicas, 0);
const celNodesWithRole = (role: string): string =>
  `self.nodePools.filter(p, '${role}' in p.roles).map(p, p.replicas).sum()`;

export const specRules: Rule<SpecShape>[] = [
  {
    cel: `!has(self.security) || self.listeners.all(l, !(l.name in ['${replicationListener.name}', '${tlsControllerListener.name}']) && !(l.port in [${replicationListener.port}, ${tlsControllerListener.port}]))`,
    message: `listeners: in a secured cluster the names ${replicationListener.name} and ${tlsControllerListener.name} and the ports ${replicationListener.port} and ${tlsControllerListener.port} are reserved for the TLS listeners of the brokers, Keelson and (after an upgrade from plaintext) the controllers`,
    path: ['listeners'],
    holds: (spec) =>
      spec.security === undefined ||
      spec.listeners.every(
        (l) =>
          !([replicationListener.name, tlsControllerListener.name] as string[]).includes(l.name) &&
          !([replicationListener.port, tlsControllerListener.port] as number[]).includes(l.port),
      ),
  },
  {
    cel: `!has(self.security) || !has(self.config) || self.config.all(k, !${isSecurityKeyCel('k')})`,
    message: 'config sets a key that the operator sets for a secured cluster',
    messageExpression: `'config key ' + self.config.filter(k, ${isSecurityKeyCel('k')})[0] + ' is set by the operator for a secured cluster (from spec.security) and cannot be overridden'`,
    messageFor: (spec) =>
      `config key ${Object.keys(spec.config).find(isSecurityKey)} is set by the operator for a secured cluster (from spec.security) and cannot be overridden`,
    path: ['config'],
    holds: (spec) => spec.security === undefined || !Object.keys(spec.config).some(isSecurityKey),
  },
  {
    cel: 'has(self.security) || self.listeners.all(l, !has(l.tls) || !l.tls)',
    message:
      "listeners: tls needs the security section, whose certificate authorities sign the brokers' certificates",
    path: ['listeners'],
    holds: (spec) => spec.security !== undefined || spec.listeners.every((l) => !l.tls),
  },
  {
    cel: `${celNodesWithRole('controller')} % 2 == 1`,
    message:
      'nodePools: the number of controller nodes must be odd (1, 3 or 5) so that the KRaft quorum keeps a majority',
    path: ['nodePools'],
    holds: (spec) => nodesWithRole(spec, 'controller') % 2 === 1,
  },
  {
    cel: `${celNodesWithRole('broker')} >= 1`,
    message: 'nodePools: at least one node must have the broker role',
    path: ['nodePools'],
    holds: (spec) => nodesWithRole(spec, 'broker') >= 1,
  },
  {
    cel: 'self.replication.minInSyncReplicas < self.replication.defaultReplicationFactor',
    message:
      'replication.minInSyncReplicas must be lower than replication.defaultReplicationFactor, or no broker could ever restart without blocking producers',
    path: ['replication', 'minInSyncReplicas'],
    holds: (spec) => spec.replication.minInSyncReplicas < spec.replication.defaultReplicationFactor,
  },
  {
    cel: `self.replication.defaultReplicationFactor <= ${celNodesWithRole('broker')}`,
    message: 'replication.defaultReplicationFactor must not exceed the number of broker nodes',
    path: ['replication', 'defaultReplicationFactor'],
    holds: (spec) => spec.replication.defaultReplicationFactor <= nodesWithRole(spec, 'broker'),
  },
  {
    cel: `self.listeners.all(l, !has(l.type) || l.type != 'nodeport' || !l.tls || (has(l.external) && has(l.external.brokers) && l.external.brokers.filter(b, has(b.host)).size() >= ${celNodesWithRole('broker')}))`,
    message:
      "listeners: a tls nodeport listener needs external.brokers with a host for every broker: a node's address is known only once the pod runs, too late for its certificate",
    path: ['listeners'],
    holds: (spec) =>
      spec.listeners.every(
        (l) =>
          l.type !== 'nodeport' ||
          !l.tls ||
          (l.external?.brokers ?? []).filter((b) => b.host !== undefined).length >=
            nodesWithRole(spec, 'broker'),
      ),
  },
  {
    cel: "!has(self.listeners[0].type) || self.listeners[0].type == 'internal'",
    message:
      'listeners: the first listener must be internal: brokers replicate over it (in a cluster without security) and Keelson connects to it',
    path: ['listeners'],
    holds: (spec) => (spec.listeners[0]?.type ?? 'internal') === 'internal',
  },
  {
    // The controller ports (9093 plaintext, 9090 TLS) and the replication listener's (9091) too.
    cel: `!has(self.metrics) || !self.metrics.jmxExporter.enabled || (!(self.metrics.jmxExporter.port in [9090, 9091, 9093]) && self.listeners.all(l, l.port != self.metrics.jmxExporter.port))`,
    message:
      'metrics.jmxExporter.port: must differ from every listener port and from 9090, 9091 and 9093 (the controllers and the replication listener)',
    path: ['metrics', 'jmxExporter', 'port'],
    holds: (spec) =>
      !spec.metrics?.jmxExporter.enabled ||
      (![9090, 9091, 9093].includes(spec.metrics.jmxExporter.port) &&
        spec.listeners.every((l) => l.port !== spec.metrics?.jmxExporter.port)),
  },
  {
    cel: 'self.listeners.all(l, self.listeners.exists_one(m, m.port == l.port))',
    message: 'listeners: each listener needs its own port',
    path: ['listeners'],
    holds: (spec) => new Set(spec.listeners.map((l) => l.port)).size === spec.listeners.length,
  },
  {
    cel: 'has(self.kafkaClusterId) == has(oldSelf.kafkaClusterId) && (!has(self.kafkaClusterId) || self.kafkaClusterId == oldSelf.kafkaClusterId)',
    transition: true,
    message: 'kafkaClusterId cannot change: the nodes formatted their logs with it',
    path: ['kafkaClusterId'],
    holds: () => true,
  },
  {
    cel: "int(self.kafkaVersion.split('.')[0]) >= int(oldSelf.kafkaVersion.split('.')[0])",
    transition: true,
    message:
      'kafkaVersion: downgrading to an older major version is not possible once brokers ran the newer one',
    path: ['kafkaVersion'],
    holds: () => true,
  },
  {
    // Adding it is a roll in three stages (see SecurityStage); removing it is not built.
    cel: '!has(oldSelf.security) || has(self.security)',
    transition: true,
    message:
      'security cannot be removed from a secured cluster: create a plaintext cluster and move its data with a backup and restore',
    path: ['security'],
    holds: () => true,
  },
];

export const storageRules: Rule<{ class?: string | undefined; size: string }>[] = [
  {
    cel: 'has(self.class) == has(oldSelf.class) && (!has(self.class) || self.class == oldSelf.class)',
    transition: true,
    message: 'storage.class cannot change: existing volumes keep their class; add a new node pool instead',
    path: ['class'],
    holds: () => true,
  },
  {
    cel: 'quantity(self.size).compareTo(quantity(oldSelf.size)) >= 0',
    transition: true,
    message: 'storage.size cannot shrink: volumes can only grow',
    path: ['size'],
    holds: () => true,
  },
];

export const nodePoolRules: Rule<PoolShape & { name: string; zones: string[] }>[] = [
  {
    // Pod names are <cluster>-<pool>-<index>: with a "-" in pool names, cluster a-b
    // with pool c and cluster a with pool b-c would both name a pod a-b-c-0.
    cel: "!self.name.contains('-')",
    admissionOnly: true,
    message:
      'nodePools: a pool name may not contain "-", so that no two clusters can give a pod the same name',
    path: ['name'],
    holds: (p) => !p.name.includes('-'),
  },
];

export const listenerRules: Rule<{
  name: string;
  port: number;
  tls: boolean;
  authentication: { type: string };
  type: string;
  external?: unknown;
}>[] = [
  {
    cel: "!has(self.external) || (has(self.type) && self.type != 'internal')",
    message: 'listeners: external settings are for a nodeport or loadbalancer listener',
    path: ['external'],
    holds: (l) => l.external === undefined || l.type !== 'internal',
  },
  {
    cel: "self.name != 'controller'",
    message: 'listeners: the name controller is reserved for the KRaft controller listener',
    path: ['name'],
    holds: (l) => l.name !== 'controller',
  },
  {
    cel: 'self.port != 9093',
    message: 'listeners: port 9093 is reserved for the KRaft controller listener',
    path: ['port'],
    holds: (l) => l.port !== 9093,
  },
  {
    cel: "!has(self.authentication) || self.authentication.type == 'none' || (has(self.tls) && self.tls)",
    message:
      'listeners: authentication scram-sha-512 or mtls needs tls: true, so that no password or session travels in clear',
    path: ['authentication', 'type'],
    holds: (l) => l.authentication.type === 'none' || l.tls,
  },
];

export const metadataVersionRules: Rule<{ policy: string; version?: string | undefined }>[] = [
  {
    cel: "self.policy != 'Pinned' || has(self.version)",
    message: 'metadataVersion.version is required when metadataVersion.policy is Pinned',
    path: ['version'],
    holds: (m) => m.policy !== 'Pinned' || m.version !== undefined,
  },
];

export const backupRules: Rule<{
  schedule?: string | undefined;
  target: { s3?: unknown; filesystem?: unknown };
}>[] = [
  {
    cel: intervalCel,
    message: intervalMessage,
    path: ['schedule'],
    holds: (b) => b.schedule === undefined || scheduleProblem(b.schedule) !== intervalMessage,
  },
  {
    cel: '(has(self.target.s3) ? 1 : 0) + (has(self.target.filesystem) ? 1 : 0) == 1',
    message: 'backup.target needs exactly one of s3 or filesystem',
    path: ['target'],
    holds: (b) => (b.target.s3 === undefined ? 0 : 1) + (b.target.filesystem === undefined ? 0 : 1) === 1,
  },
];

export const restoreDrillRules: Rule<{ schedule?: string | undefined }>[] = [
  {
    cel: intervalCel,
    message: intervalMessage.replace('backup.schedule', 'backup.restoreDrill.schedule'),
    path: ['schedule'],
    holds: (d) => d.schedule === undefined || scheduleProblem(d.schedule) !== intervalMessage,
  },
];

export const drillRules: Rule<{ defaultHold: string; maxHold: string }>[] = [
  {
    cel: 'duration(self.defaultHold) <= duration(self.maxHold)',
    message: 'drill.defaultHold must not exceed drill.maxHold',
    path: ['defaultHold'],
    holds: (d) => parseDurationMs(d.defaultHold) <= parseDurationMs(d.maxHold),
  },
];

const ownedKeysCel = `[${operatorOwnedConfigKeys.map((k) => `'${k}'`).join(', ')}]`;

const keyRegExp = new RegExp(configKeyPattern);
const keyMessage = `config keys are at most ${maxConfigKeyLength} letters, digits, ".", "_" and "-", starting and ending with a letter or digit`;
const forbiddenInValue = new RegExp(configValueForbidden);
const badKey = (k: string): boolean => k.length > maxConfigKeyLength || !keyRegExp.test(k);
// CEL string literals take the regular expressions with their backslashes doubled.
const celString = (text: string): string => `'${text.replaceAll('\\', '\\\\')}'`;

/** No line break or other control character in a config value (KafkaCluster and KafkaTopic). */
export const configValueRule: Rule<Record<string, unknown>> = {
  cel: `self.all(k, type(self[k]) != string || !string(self[k]).matches(${celString(configValueForbidden)}))`,
  message: 'config values may not contain line breaks or other control characters',
  messageExpression: `'config value of ' + self.filter(k, type(self[k]) == string && string(self[k]).matches(${celString(configValueForbidden)}))[0] + ' contains a line break or another control character'`,
  messageFor: (config) =>
    `config value of ${Object.keys(config).find((k) => typeof config[k] === 'string' && forbiddenInValue.test(config[k]))} contains a line break or another control character`,
  holds: (config) => Object.values(config).every((v) => typeof v !== 'string' || !forbiddenInValue.test(v)),
};

export const configRules: Rule<Record<string, unknown>>[] = [
  {
    cel: `self.all(k, size(k) <= ${maxConfigKeyLength} && k.matches(${celString(configKeyPattern)}))`,
    message: keyMessage,
    // The API server falls back to `message` when the key itself holds a line break.
    messageExpression: `'config key "' + self.filter(k, size(k) > ${maxConfigKeyLength} || !k.matches(${celString(configKeyPattern)}))[0] + '": ${keyMessage}'`,
    messageFor: (config) => `config key "${Object.keys(config).find(badKey)}": ${keyMessage}`,
    holds: (config) => !Object.keys(config).some(badKey),
  },
  configValueRule,
  {
    cel: `self.all(k, !(k in ${ownedKeysCel}))`,
    message: 'config sets a key that the operator owns',
    messageExpression: `'config key ' + self.filter(k, k in ${ownedKeysCel})[0] + ' is set by the operator and cannot be overridden'`,
    messageFor: (config) =>
      `config key ${Object.keys(config).find((k) => (operatorOwnedConfigKeys as readonly string[]).includes(k))} is set by the operator and cannot be overridden`,
    holds: (config) =>
      Object.keys(config).every((k) => !(operatorOwnedConfigKeys as readonly string[]).includes(k)),
  },
];

export const certificateAuthorityRules: Rule<{ validityDays: number; renewalDays: number }>[] = [
  {
    cel: 'self.renewalDays < self.validityDays',
    message:
      'renewalDays must be lower than validityDays, or every certificate would be due for renewal as soon as it is issued',
    path: ['renewalDays'],
    holds: (ca) => ca.renewalDays < ca.validityDays,
  },
];
