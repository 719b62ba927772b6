// Broker configuration keys Keelson sets itself, from the spec or per node.
// Users may not override them in spec.config: each has a spec field or is
// derived from the cluster's shape, and a wrong value would break the cluster.
export const operatorOwnedConfigKeys = [
  'node.id',
  'broker.id',
  'process.roles',
  'controller.quorum.voters',
  'controller.quorum.bootstrap.servers',
  'controller.listener.names',
  'listeners',
  'advertised.listeners',
  'listener.security.protocol.map',
  'inter.broker.listener.name',
  'log.dirs',
  'log.dir',
  'metadata.log.dir',
  'broker.rack',
  'default.replication.factor',
  'min.insync.replicas',
  'offsets.topic.replication.factor',
  'transaction.state.log.replication.factor',
  'transaction.state.log.min.isr',
  'zookeeper.connect',
] as const;

/**
 * Keys Keelson sets for a secured cluster from spec.security (see
 * src/domain/tls.ts). A cluster without security may still set them itself.
 */
export const securityOwnedConfigKeys = [
  'ssl.keystore.type',
  'ssl.keystore.location',
  'ssl.keystore.key',
  'ssl.keystore.certificate.chain',
  'ssl.keystore.password',
  'ssl.key.password',
  'ssl.truststore.type',
  'ssl.truststore.location',
  'ssl.truststore.certificates',
  'ssl.truststore.password',
  'ssl.client.auth',
  'ssl.endpoint.identification.algorithm',
  'ssl.principal.mapping.rules',
  'principal.builder.class',
  'sasl.enabled.mechanisms',
  'security.inter.broker.protocol',
  'allow.everyone.if.no.acl.found',
  'authorizer.class.name',
  'super.users',
] as const;

/**
 * Per-listener keys (listener.name.<listener>.ssl.client.auth, …) of a secured
 * cluster are Keelson's too: one of them could turn off the client
 * certificates of the controller or replication listener, or let a listener
 * trust another CA. Cipher suites and TLS versions (ssl.cipher.suites,
 * ssl.enabled.protocols) stay the user's to set for every listener.
 */
export const securityOwnedConfigPrefix = 'listener.name.';

/**
 * What a config key may look like: Kafka's own keys and plugin keys are
 * letters, digits, ".", "_" and "-". Nothing else, because a blank, ":", "="
 * or "\" would let a key be read as another key in server.properties.
 */
export const configKeyPattern = '^[a-zA-Z0-9]([a-zA-Z0-9._-]*[a-zA-Z0-9])?$';
export const maxConfigKeyLength = 255;
/** Long enough for a JAAS config or a list of cipher suites, short enough for a ConfigMap. */
export const maxConfigValueLength = 4096;
/** A line break or other control character would end the value and start a line of its own. */
export const configValueForbidden = '[\\x00-\\x1f\\x7f]';
