// The broker configuration of a cluster. Settings shared by every node go to
// one ConfigMap, mounted where the apache/kafka image reads its base config
// (/mnt/shared/config/server.properties); per-node settings (node id, roles,
// listeners on the pod's own address, rack) are KAFKA_* environment variables,
// which the image turns into properties, with $(POD_IP) expanded by Kubernetes.
// So the same ConfigMap serves every node, wherever its pod lands.
import { jmxExporterConfigKey, jmxExporterEnabled, jmxExporterRules } from './jmx-exporter.ts';
import type { V1ConfigMap, V1EnvVar } from '@kubernetes/client-node';
import type { KafkaClusterSpec } from '../../crd/kafka-cluster.ts';
import { isDynamicBrokerConfig } from '../dynamic-config.ts';
import { clusterLabels, ownerReference, type ClusterRef } from '../labels.ts';
import { names } from '../names.ts';
import type { KafkaNode } from '../nodes.ts';
import { advertisedAddress, listenerType } from './external.ts';
import {
  controllerListeners,
  controllerPort,
  isSecured,
  listenerProtocol,
  replicationListener,
  securityProperties,
  usesTls,
  type StagedSpec,
} from '../tls.ts';

/** The controller port of a cluster that never ran plaintext (see controllerListeners for one that did). */
export const ports = { controller: 9093 } as const;
export const dataMountPath = '/var/lib/kafka/data';
export const configMountPath = '/mnt/shared/config';
export const logDir = `${dataMountPath}/kafka-log`;

export const listenerName = (name: string): string => name.toUpperCase().replaceAll('-', '_');

/** The DNS name of a node's pod through the headless Service. */
export const nodeHost = (cluster: ClusterRef, node: KafkaNode): string =>
  `${node.podName}.${names.headlessService(cluster.name)}.${cluster.namespace}.svc.cluster.local`;

export function quorumVoters(cluster: ClusterRef, nodes: readonly KafkaNode[], port: number): string {
  return nodes
    .filter((n) => n.roles.includes('controller'))
    .map((n) => `${n.nodeId}@${nodeHost(cluster, n)}:${port}`)
    .join(',');
}

/**
 * A value as java.util.Properties reads it back unchanged: a backslash would
 * otherwise start an escape, or at a line's end join the next line (an
 * operator-owned key, or a property the image appends) to this value.
 * Keys need no escaping: their pattern allows no blank, "=", ":" or "\\".
 */
export const propertyValue = (value: string): string =>
  value
    .replaceAll('\\', '\\\\')
    .replaceAll('\n', '\\n')
    .replaceAll('\r', '\\r')
    .replace(/^[ \t\f]/, (blank) => `\\${blank}`);

function render(properties: ReadonlyMap<string, string>): string {
  return [...properties].map(([k, v]) => `${k}=${propertyValue(v)}`).join('\n') + '\n';
}

/** Shared properties, in a stable order: operator-owned first, then the user's config sorted by key. */
export function sharedProperties(
  cluster: ClusterRef,
  spec: KafkaClusterSpec & StagedSpec,
  nodes: readonly KafkaNode[],
  options: { dynamic: boolean } = { dynamic: true },
): Map<string, string> {
  const controllers = controllerListeners(spec);
  const protocols = [
    ...controllers.map((l) => `${l.name}:${l.protocol}`),
    ...(isSecured(spec) ? [`${listenerName(replicationListener.name)}:SSL`] : []),
    ...spec.listeners.map((l) => `${listenerName(l.name)}:${listenerProtocol(l)}`),
  ];
  const interBroker = usesTls(spec) ? replicationListener.name : (spec.listeners[0]?.name ?? 'plain');
  const { defaultReplicationFactor: rf, minInSyncReplicas: minIsr } = spec.replication;
  const properties = new Map<string, string>([
    ['controller.quorum.voters', quorumVoters(cluster, nodes, controllerPort(spec))],
    ['controller.listener.names', controllers.map((l) => l.name).join(',')],
    ['listener.security.protocol.map', protocols.join(',')],
    ['inter.broker.listener.name', listenerName(interBroker)],
    ['log.dirs', logDir],
    ['default.replication.factor', String(rf)],
    ['min.insync.replicas', String(minIsr)],
    ['offsets.topic.replication.factor', String(rf)],
    ['transaction.state.log.replication.factor', String(rf)],
    ['transaction.state.log.min.isr', String(minIsr)],
    ...securityProperties(spec),
  ]);
  for (const key of Object.keys(spec.config).sort()) {
    if (!options.dynamic && isDynamicBrokerConfig(key)) continue;
    properties.set(key, String(spec.config[key]));
  }
  return properties;
}

export function buildConfigMap(
  cluster: ClusterRef,
  spec: KafkaClusterSpec & StagedSpec,
  nodes: readonly KafkaNode[],
): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: names.configMap(cluster.name),
      namespace: cluster.namespace,
      labels: clusterLabels(cluster),
      ownerReferences: [ownerReference(cluster)],
    },
    data: {
      'server.properties': render(sharedProperties(cluster, spec, nodes)),
      ...(jmxExporterEnabled(spec) ? { [jmxExporterConfigKey]: jmxExporterRules } : {}),
    },
  };
}

/**
 * The Kafka cluster id, derived from the KafkaCluster's uid: 16 bytes,
 * base64url, as Kafka expects. Like Kafka's own Uuid.randomUuid, never one
 * starting with "-": kafka-storage format would read it as an option and
 * the node could never start (one uid in 64 would hit this).
 */
export function clusterId(uid: string): string {
  const hex = uid.replaceAll('-', '').padEnd(32, '0').slice(0, 32);
  const bytes = Uint8Array.from({ length: 16 }, (_, i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16) || 0);
  // The first character is the top six bits of the first byte; 62 is "-".
  if ((bytes[0] ?? 0) >> 2 === 62) bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return base64url(bytes);
}

// Written out because workflow code, which builds manifests too, has no btoa or Buffer.
const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
function base64url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const chunk = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = i + 2 < bytes.length ? 4 : i + 1 < bytes.length ? 3 : 2;
    for (let c = 0; c < chars; c++) out += alphabet[(chunk >> (18 - 6 * c)) & 63];
  }
  return out;
}

/**
 * The Kafka cluster id the nodes format their logs with: the spec's, when it
 * names one (to run on the kept volumes of an earlier cluster of the same
 * name), else the one derived from the KafkaCluster's uid.
 */
export const kafkaClusterIdOf = (
  cluster: ClusterRef,
  spec: Pick<KafkaClusterSpec, 'kafkaClusterId'>,
): string => spec.kafkaClusterId ?? clusterId(cluster.uid);

export function nodeEnv(
  cluster: ClusterRef,
  spec: KafkaClusterSpec & StagedSpec,
  node: KafkaNode,
): V1EnvVar[] {
  const isBroker = node.roles.includes('broker');
  const isController = node.roles.includes('controller');
  // The brokers' own listener of a secured cluster comes first: it is what
  // Keelson and the other brokers reach a node on.
  const brokerListeners = [
    ...(isSecured(spec)
      ? [{ name: replicationListener.name, port: replicationListener.port, tls: false }]
      : []),
    ...spec.listeners,
  ];
  const listeners = [
    ...(isBroker ? brokerListeners.map((l) => `${listenerName(l.name)}://$(POD_IP):${l.port}`) : []),
    ...(isController ? controllerListeners(spec).map((l) => `${l.name}://$(POD_IP):${l.port}`) : []),
  ];
  const env: V1EnvVar[] = [
    { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
    // A node port listener advertises the address of the node the pod runs on.
    ...(isBroker && spec.listeners.some((l) => listenerType(l) === 'nodeport')
      ? [{ name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } }]
      : []),
    { name: 'CLUSTER_ID', value: kafkaClusterIdOf(cluster, spec) },
    { name: 'KAFKA_NODE_ID', value: String(node.nodeId) },
    { name: 'KAFKA_PROCESS_ROLES', value: node.roles.join(',') },
    { name: 'KAFKA_LISTENERS', value: listeners.join(',') },
  ];
  if (isBroker) {
    env.push({
      name: 'KAFKA_ADVERTISED_LISTENERS',
      // A client of a TLS listener checks the broker's name against its
      // certificate, so those listeners advertise the pod's DNS name.
      value: brokerListeners
        .map((l) => {
          if ('type' in l && listenerType(l) !== 'internal') {
            const { host, port } = advertisedAddress(l, node);
            return `${listenerName(l.name)}://${host}:${port}`;
          }
          return `${listenerName(l.name)}://${l.tls ? nodeHost(cluster, node) : '$(POD_IP)'}:${l.port}`;
        })
        .join(','),
    });
    if (spec.rackAwareness) env.push({ name: 'KAFKA_BROKER_RACK', value: node.zone });
  }
  return env;
}
