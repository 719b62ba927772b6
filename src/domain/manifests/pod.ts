// One Pod and one PersistentVolumeClaim per KRaft node. The pod is pinned to
// its zone, runs the official apache/kafka image as a non-root user, mounts
// its own claim and the shared config, and carries the hash of everything
// whose change needs a restart (see nodeConfigHash).
import { jmxExporterEnabled, jmxExporterPodParts, jmxExporterRules, kafkaOpts } from './jmx-exporter.ts';
import type { V1Affinity, V1EnvVar, V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import type { PodTemplate } from '../../crd/pod-template.ts';
import type { KafkaClusterSpec, NodePool } from '../../crd/kafka-cluster.ts';
import { kafkaImage } from '../../crd/kafka-versions.ts';
import { contentHash } from '../hash.ts';
import { annotationKeys, clusterLabels, labelKeys, ownerReference, type ClusterRef } from '../labels.ts';
import { names } from '../names.ts';
import type { KafkaNode } from '../nodes.ts';
import { controllerListeners, controllerPort, isSecured, tlsMountPath, type StagedSpec } from '../tls.ts';
import { configMountPath, dataMountPath, nodeEnv, sharedProperties } from './config.ts';

export const zoneLabel = 'topology.kubernetes.io/zone';
export const hostLabel = 'kubernetes.io/hostname';
/** Kafka's controlled shutdown moves leadership away first; give it time before SIGKILL. */
export const terminationGraceSeconds = 120;

/** The pool's template when it sets anything: only then is it part of the hash, so no existing pod rolls. */
const templateOf = (pool: NodePool): PodTemplate | undefined =>
  pool.template && Object.keys(pool.template).length > 0 ? pool.template : undefined;

/** KAFKA_HEAP_OPTS and KAFKA_OPTS from the pool's template, and the JMX exporter's agent when on. */
export function jvmEnv(pool: NodePool, spec: Pick<KafkaClusterSpec, 'metrics'> = {}): V1EnvVar[] {
  const jvm = pool.template?.jvm;
  return [
    ...(jvm?.heap ? [{ name: 'KAFKA_HEAP_OPTS', value: `-Xms${jvm.heap} -Xmx${jvm.heap}` }] : []),
    ...kafkaOpts(jvm?.options, spec),
  ];
}

/**
 * Where a node may run: its zone and the pool's node requirements (ANDed in
 * one term), and away from the cluster's other pods on the same host,
 * preferred unless the pool says required or none.
 */
export function nodeAffinity(cluster: ClusterRef, pool: NodePool, zone: string): V1Affinity {
  const spread = pool.template?.antiAffinity ?? 'preferred';
  const sameCluster = {
    labelSelector: { matchLabels: { [labelKeys.cluster]: cluster.name } },
    topologyKey: hostLabel,
  };
  return {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          {
            matchExpressions: [
              { key: zoneLabel, operator: 'In', values: [zone] },
              ...(pool.template?.nodeAffinity ?? []),
            ],
          },
        ],
      },
    },
    ...(spread === 'required'
      ? { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [sameCluster] } }
      : spread === 'preferred'
        ? {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 100, podAffinityTerm: sameCluster },
              ],
            },
          }
        : {}),
  };
}
const kafkaUser = 1000; // appuser in the apache/kafka image

export function nodeLabels(cluster: ClusterRef, node: KafkaNode): Record<string, string> {
  return {
    ...clusterLabels(cluster),
    [labelKeys.pool]: node.pool,
    [labelKeys.nodeId]: String(node.nodeId),
    [labelKeys.broker]: String(node.roles.includes('broker')),
    [labelKeys.controller]: String(node.roles.includes('controller')),
  };
}

/**
 * The hash of what a running node was started with: image, per-node
 * environment, resources and the shared config without the keys Kafka can
 * change at run time. A pod whose annotation differs needs a restart.
 */
export function nodeConfigHash(
  cluster: ClusterRef,
  spec: KafkaClusterSpec & StagedSpec,
  nodes: readonly KafkaNode[],
  node: KafkaNode,
  pool: NodePool,
): string {
  return contentHash(
    JSON.stringify({
      image: kafkaImage(spec.kafkaVersion),
      env: nodeEnv(cluster, spec, node),
      resources: pool.resources ?? null,
      ...(templateOf(pool) ? { template: templateOf(pool) } : {}),
      // Only when on, so that no other cluster's hash changes.
      ...(jmxExporterEnabled(spec) ? { metrics: spec.metrics, jmxExporterRules } : {}),
      config: [...sharedProperties(cluster, spec, nodes, { dynamic: false })],
      // Only in a secured cluster, so that no other cluster's hash changes.
      ...(node.certificate !== undefined ? { certificate: node.certificate } : {}),
    }),
  );
}

export function buildNodePod(
  cluster: ClusterRef,
  spec: KafkaClusterSpec & StagedSpec,
  nodes: readonly KafkaNode[],
  node: KafkaNode,
): V1Pod {
  const pool = spec.nodePools.find((p) => p.name === node.pool);
  if (pool === undefined) throw new Error(`node ${node.podName} belongs to unknown pool ${node.pool}`);
  const isBroker = node.roles.includes('broker');
  const probePort = isBroker ? (spec.listeners[0]?.port ?? 9092) : controllerPort(spec);
  const exporter = jmxExporterPodParts(spec);
  const containerPorts = [
    ...(isBroker ? spec.listeners.map((l) => ({ name: l.name, containerPort: l.port })) : []),
    ...(node.roles.includes('controller')
      ? controllerListeners(spec).map((l) => ({
          name: l.name.toLowerCase().replaceAll('_', '-'),
          containerPort: l.port,
        }))
      : []),
    ...(exporter ? [exporter.port] : []),
  ];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: node.podName,
      namespace: cluster.namespace,
      // Keelson's labels and annotations over the pool's own (admission refuses those keys anyway).
      labels: { ...pool.template?.labels, ...nodeLabels(cluster, node) },
      annotations: {
        ...pool.template?.annotations,
        [annotationKeys.configHash]: nodeConfigHash(cluster, spec, nodes, node, pool),
        ...(node.certificate !== undefined ? { [annotationKeys.certificates]: node.certificate } : {}),
      },
      ownerReferences: [ownerReference(cluster)],
    },
    spec: {
      hostname: node.podName,
      subdomain: names.headlessService(cluster.name),
      enableServiceLinks: false,
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: pool.template?.terminationGracePeriodSeconds ?? terminationGraceSeconds,
      affinity: nodeAffinity(cluster, pool, node.zone),
      ...(pool.template?.tolerations ? { tolerations: pool.template.tolerations } : {}),
      ...(pool.template?.priorityClassName ? { priorityClassName: pool.template.priorityClassName } : {}),
      securityContext: {
        runAsNonRoot: true,
        runAsUser: kafkaUser,
        runAsGroup: kafkaUser,
        fsGroup: kafkaUser,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [
        {
          name: 'kafka',
          image: pool.template?.image ?? kafkaImage(spec.kafkaVersion),
          env: [...nodeEnv(cluster, spec, node), ...jvmEnv(pool, spec)],
          ports: containerPorts,
          readinessProbe: { tcpSocket: { port: probePort }, periodSeconds: 5, failureThreshold: 3 },
          livenessProbe: {
            tcpSocket: { port: probePort },
            initialDelaySeconds: 60,
            periodSeconds: 10,
            failureThreshold: 6,
          },
          ...(pool.resources ? { resources: pool.resources } : {}),
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
          volumeMounts: [
            { name: 'data', mountPath: dataMountPath },
            { name: 'config', mountPath: configMountPath, readOnly: true },
            ...(isSecured(spec) ? [{ name: 'tls', mountPath: tlsMountPath, readOnly: true }] : []),
            ...(exporter ? [exporter.mount] : []),
          ],
        },
      ],
      volumes: [
        { name: 'data', persistentVolumeClaim: { claimName: names.dataClaim(node.podName) } },
        { name: 'config', configMap: { name: names.configMap(cluster.name) } },
        // Its own key and certificate only: no node can read another's key.
        ...(isSecured(spec)
          ? [{ name: 'tls', secret: { secretName: names.nodeCertificate(node.podName), defaultMode: 0o440 } }]
          : []),
        ...(exporter ? [exporter.volume] : []),
      ],
    },
  };
}

/**
 * The node's data volume. It is owned by the cluster (deleted with it) only
 * when the pool asks for deleteClaim; otherwise the data outlives the cluster.
 */
export function buildNodeClaim(
  cluster: ClusterRef,
  pool: NodePool,
  node: KafkaNode,
  kafkaClusterId: string,
): V1PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: names.dataClaim(node.podName),
      namespace: cluster.namespace,
      labels: nodeLabels(cluster, node),
      // What a KafkaCluster created later under the same name must name to run on this data.
      annotations: { [annotationKeys.kafkaClusterId]: kafkaClusterId },
      ...(pool.storage.deleteClaim ? { ownerReferences: [ownerReference(cluster)] } : {}),
    },
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: pool.storage.size } },
      ...(pool.storage.class ? { storageClassName: pool.storage.class } : {}),
    },
  };
}
