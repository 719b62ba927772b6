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
