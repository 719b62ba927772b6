// How a secured cluster uses TLS, as plain data: where each node finds its
// key and the CAs it trusts, which names its certificate must carry, which
// principals are the cluster's own, and the broker properties that follow.
// Keys and certificates themselves never appear here: activities make them
// and keep them in Secrets (see src/activities/tls/certificates.ts).
import type { KafkaClusterSpec, Listener } from '../crd/kafka-cluster.ts';
import { replicationListener, tlsControllerListener } from '../crd/reserved-listeners.ts';
import type { ClusterRef } from './labels.ts';
import { contentHash } from './hash.ts';
import { names } from './names.ts';
import type { KafkaNode } from './nodes.ts';

export { replicationListener };

export const tlsMountPath = '/etc/kafka/tls';

/** The keys of a node's Secret, each a file under tlsMountPath. */
export const nodeTlsFiles = {
  /** The node's private key followed by its certificate chain: Kafka's PEM keystore. */
  keystore: 'node.pem',
  /** The cluster CA certificates the node trusts (two while a CA is being replaced). */
  clusterCa: 'ca.crt',
  /** The clients CA certificates an mtls listener trusts. */
  clientsCa: 'clients-ca.crt',
} as const;

/**
 * The principals of the cluster's own certificates. Upper case, so that no
 * KafkaUser (a lowercase Kubernetes name) can ever be given the same name.
 */
export const principals = { node: 'KEELSON-NODE', operator: 'KEELSON-OPERATOR' } as const;

/**
 * Where a cluster stands on its way to TLS. A cluster created with
 * spec.security is `secured` from the start. One that ran plaintext and is
 * given spec.security moves there in three rolls, each safe with the nodes of
 * the stage before still running (a node is never cut off from the quorum or
 * its replicas mid-roll), the next stage starting only once every node runs
 * the one before and is Ready:
 *   tls-added: the TLS replication listener and a TLS controller listener
 *              (controller-tls, port 9090) open beside the plaintext ones;
 *   tls-used:  replication, the quorum and Keelson move onto them;
 *   upgraded:  the plaintext controller listener closes and the authorizer,
 *              if asked for, starts. The user's plaintext listeners stay
 *              until the spec removes them (clients move first).
 * The plaintext controller port cannot simply switch to TLS: during that roll
 * the nodes on either side of it could not reach each other.
 */
export type SecurityStage = 'plaintext' | 'tls-added' | 'tls-used' | 'secured' | 'upgraded';

export const securityStageSteps: Record<'tls-added' | 'tls-used' | 'upgraded', string> = {
  'tls-added': '1/3: open TLS replication and controller listeners beside the plaintext ones',
  'tls-used': '2/3: move replication, the controller quorum and Keelson onto TLS',
  upgraded: '3/3: close the plaintext controller listener and start the authorizer',
};

/** A spec as the workflow hands it on: with the stage its cluster is at (never set by users). */
export type StagedSpec = Pick<KafkaClusterSpec, 'security'> & { securityStage?: SecurityStage };

export const securityStageOf = (spec: StagedSpec): SecurityStage =>
  spec.securityStage ?? (spec.security === undefined ? 'plaintext' : 'secured');

/**
 * The stage a pass plans for, from the one status records. A cluster whose
 * status records none was created secured, or predates stages and is
 * plaintext. Security cannot be removed (admission refuses it).
 */
export function plannedSecurityStage(recorded: SecurityStage | undefined, secured: boolean): SecurityStage {
  if (!secured) return 'plaintext';
  if (recorded === undefined || recorded === 'secured') return 'secured';
  return recorded === 'plaintext' ? 'tls-added' : recorded;
}

/** The spec as its nodes run it now, from the stage status records: for those that reach the brokers outside a pass. */
export const specAtRecordedStage = <S extends KafkaClusterSpec>(
  spec: S,
  recorded: SecurityStage | undefined,
): S & StagedSpec =>
  withSecurityStage(spec, recorded ?? (spec.security === undefined ? 'plaintext' : 'secured'));

/** The stage after this one, once every node runs it: undefined when there is none. */
export const nextSecurityStage = (stage: SecurityStage): SecurityStage | undefined =>
  stage === 'tls-added' ? 'tls-used' : stage === 'tls-used' ? 'upgraded' : undefined;

/** The spec with its cluster's stage, for everything that builds a node's config or reaches the brokers. */
export const withSecurityStage = <S extends KafkaClusterSpec>(
  spec: S,
  stage: SecurityStage,
): S & StagedSpec =>
  stage === (spec.security === undefined ? 'plaintext' : 'secured')
    ? spec
    : { ...spec, securityStage: stage };

/** The nodes hold certificates and the TLS replication listener is open. */
export const isSecured = (spec: StagedSpec): boolean => securityStageOf(spec) !== 'plaintext';

/** Replication, the quorum and Keelson's own connections run over TLS. */
export const usesTls = (spec: StagedSpec): boolean =>
  ['tls-used', 'secured', 'upgraded'].includes(securityStageOf(spec));

/** The listeners of a controller, in controller.listener.names order: the first is the one every node connects to. */
export function controllerListeners(
  spec: StagedSpec,
): { name: string; port: number; protocol: 'PLAINTEXT' | 'SSL' }[] {
  const plain = { name: 'CONTROLLER', port: 9093, protocol: 'PLAINTEXT' } as const;
  const tls = { name: 'CONTROLLER_TLS', port: tlsControllerListener.port, protocol: 'SSL' } as const;
  switch (securityStageOf(spec)) {
    case 'plaintext':
      return [plain];
    case 'tls-added':
      return [plain, tls];
    case 'tls-used':
      return [tls, plain];
    case 'secured':
      return [{ ...plain, protocol: 'SSL' }];
    case 'upgraded':
      return [tls];
  }
}

/** The port every node reaches the controllers on. */
export const controllerPort = (spec: StagedSpec): number => controllerListeners(spec)[0]?.port ?? 9093;

/** The Kafka security protocol of a user listener. */
export function listenerProtocol(listener: Listener): 'PLAINTEXT' | 'SSL' | 'SASL_SSL' {
  if (!listener.tls) return 'PLAINTEXT';
  return listener.authentication.type === 'scram-sha-512' ? 'SASL_SSL' : 'SSL';
}

/**
 * What a node runs with, as its pod records it: its certificate's serial
 * number and a digest of the CAs it trusts. Either changing restarts the node
 * (a renewed certificate, a CA renewal's phase).
 */
export const nodeCertificateMark = (serial: string, trustedCas: string): string =>
  `${serial}/${contentHash(trustedCas).slice(0, 12)}`;

/** The DNS names of one node's certificate: its pod name through the headless Service, and the bootstrap Service. */
export function nodeDnsNames(cluster: ClusterRef, node: KafkaNode): string[] {
  const suffixes = (host: string) => [
    `${host}.${cluster.namespace}.svc.cluster.local`,
    `${host}.${cluster.namespace}.svc`,
    `${host}.${cluster.namespace}`,
  ];
  const bootstrap = names.bootstrapService(cluster.name);
  return [
    ...suffixes(`${node.podName}.${names.headlessService(cluster.name)}`),
    ...suffixes(bootstrap),
    bootstrap,
  ];
}

/** The domain every node name of a cluster lies in: what Keelson checks a node certificate against. */
export const nodeDomain = (cluster: ClusterRef): string =>
  `.${names.headlessService(cluster.name)}.${cluster.namespace}.svc.cluster.local`;

/**
 * The broker properties of a secured cluster. The replication and controller
 * listeners require a client certificate from the cluster CA. The brokers do
 * not check peer host names (ssl.endpoint.identification.algorithm empty):
 * they reach each other by pod IP, which no certificate issued before the pod
 * started can name, and a certificate of this cluster's own CA, which signs
 * only this cluster's nodes and Keelson, is what proves a peer.
 */
export function securityProperties(spec: KafkaClusterSpec & StagedSpec): [string, string][] {
  const security = spec.security;
  if (security === undefined || !isSecured(spec)) return [];
  const file = (name: string) => `${tlsMountPath}/${name}`;
  const properties: [string, string][] = [
    ['ssl.keystore.type', 'PEM'],
    ['ssl.keystore.location', file(nodeTlsFiles.keystore)],
    ['ssl.truststore.type', 'PEM'],
    ['ssl.truststore.location', file(nodeTlsFiles.clusterCa)],
    ['ssl.endpoint.identification.algorithm', ''],
    // A certificate whose subject is only a common name is the principal of that name.
    ['ssl.principal.mapping.rules', 'RULE:^CN=([^,]+)$/$1/,DEFAULT'],
    ...controllerListeners(spec)
      .filter((l) => l.protocol === 'SSL')
      .map((l): [string, string] => [`listener.name.${listenerPrefix(l.name)}.ssl.client.auth`, 'required']),
    [`listener.name.${replicationListener.name}.ssl.client.auth`, 'required'],
  ];
  for (const listener of spec.listeners) {
    const prefix = `listener.name.${listenerPrefix(listener.name)}`;
    if (listener.authentication.type === 'mtls') {
      properties.push([`${prefix}.ssl.client.auth`, 'required']);
      properties.push([`${prefix}.ssl.truststore.location`, file(nodeTlsFiles.clientsCa)]);
    } else if (listener.authentication.type === 'scram-sha-512') {
      properties.push([`${prefix}.sasl.enabled.mechanisms`, 'SCRAM-SHA-512']);
      properties.push([
        `${prefix}.scram-sha-512.sasl.jaas.config`,
        'org.apache.kafka.common.security.scram.ScramLoginModule required;',
      ]);
    }
  }
  // Not before the plaintext quorum listener is gone: a node on it is ANONYMOUS.
  if (security.authorization && ['secured', 'upgraded'].includes(securityStageOf(spec))) {
    const superUsers = [principals.node, principals.operator, ...security.authorization.superUsers];
    properties.push(['authorizer.class.name', 'org.apache.kafka.metadata.authorizer.StandardAuthorizer']);
    properties.push(['super.users', superUsers.map((u) => `User:${u}`).join(';')]);
  }
  return properties;
}

/** Listener names in listener.name.* properties are the lower-cased listener names. */
const listenerPrefix = (name: string): string => name.toLowerCase().replaceAll('-', '_');

/** Where Keelson finds its client certificate for a cluster: a reference, never the key. */
export interface KafkaTlsRef {
  namespace: string;
  secret: string;
  /** Node certificates must name a host in this domain. */
  nodeDomain: string;
}

export const operatorTls = (cluster: ClusterRef, spec: StagedSpec): KafkaTlsRef | null =>
  usesTls(spec)
    ? {
        namespace: cluster.namespace,
        secret: names.operatorCertificate(cluster.name),
        nodeDomain: nodeDomain(cluster),
      }
    : null;

/** The port Keelson reaches the brokers on: the replication listener when secured, else the first listener. */
export const operatorPort = (spec: StagedSpec & Pick<KafkaClusterSpec, 'listeners'>): number =>
  usesTls(spec) ? replicationListener.port : (spec.listeners[0]?.port ?? 9092);

/** How Keelson reaches a cluster's brokers: addresses, and for a secured cluster where its client certificate is. */
export interface KafkaAccess {
  addresses: string[];
  tls: KafkaTlsRef | null;
}

/** Runs recorded before secured clusters handed activities the addresses alone. */
export const accessOf = (bootstrap: KafkaAccess | string[]): KafkaAccess =>
  Array.isArray(bootstrap) ? { addresses: bootstrap, tls: null } : bootstrap;

/** Keelson's access to the brokers at `addresses` of a cluster. */
export const kafkaAccess = (cluster: ClusterRef, spec: StagedSpec, addresses: string[]): KafkaAccess => ({
  addresses,
  tls: operatorTls(cluster, spec),
});
