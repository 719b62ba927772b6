// Hand-written manifests for a 3-node combined KRaft cluster, as an operator
// would create them, for tests of the environment itself (the operator's own
// manifests come from src/domain). One pod per zone, each with its own PVC,
// configured the apache/kafka image's way: a mounted server.properties plus
// KAFKA_* environment variables.
import { randomUUID } from 'node:crypto';
import { clusterId } from '../../src/domain/manifests/config.ts';
import type { V1ConfigMap, V1PersistentVolumeClaim, V1Pod, V1Service } from '@kubernetes/client-node';

export const zones = ['zone-a', 'zone-b', 'zone-c'];
const service = 'kafka';

export function kafkaConfigMap(namespace: string, nodes: number): V1ConfigMap {
  const voters = Array.from(
    { length: nodes },
    (_, id) => `${id}@kafka-${id}.${service}.${namespace}.svc.cluster.local:9093`,
  ).join(',');
  return {
    metadata: { name: 'kafka-config' },
    data: {
      'server.properties': [
        'process.roles=broker,controller',
        `controller.quorum.voters=${voters}`,
        'controller.listener.names=CONTROLLER',
        'inter.broker.listener.name=PLAINTEXT',
        'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
        'log.dirs=/var/lib/kafka/data/logs',
        `offsets.topic.replication.factor=${Math.min(3, nodes)}`,
        `transaction.state.log.replication.factor=${Math.min(3, nodes)}`,
        'transaction.state.log.min.isr=1',
        'group.initial.rebalance.delay.ms=0',
        '',
      ].join('\n'),
    },
  };
}

export function kafkaService(): V1Service {
  return {
    metadata: { name: service },
    spec: { clusterIP: 'None', selector: { app: 'kafka' }, ports: [{ name: 'kafka', port: 9092 }] },
  };
}

export function kafkaClaim(id: number): V1PersistentVolumeClaim {
  return {
    metadata: { name: `data-kafka-${id}` },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  };
}

/** A Kafka cluster id as the operator derives one: never starting with "-", which kafka-storage reads as an option. */
export const newKafkaClusterId = (): string => clusterId(randomUUID());

export function kafkaPod(id: number, version: string, clusterId: string): V1Pod {
  return {
    metadata: { name: `kafka-${id}`, labels: { app: 'kafka' } },
    spec: {
      hostname: `kafka-${id}`,
      subdomain: service,
      nodeSelector: { 'topology.kubernetes.io/zone': zones[id % zones.length] ?? 'zone-a' },
      terminationGracePeriodSeconds: 60,
      containers: [
        {
          name: 'kafka',
          image: `apache/kafka:${version}`,
          ports: [
            { name: 'kafka', containerPort: 9092 },
            { name: 'controller', containerPort: 9093 },
          ],
          env: [
            { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
            { name: 'CLUSTER_ID', value: clusterId },
            { name: 'KAFKA_NODE_ID', value: String(id) },
            { name: 'KAFKA_LISTENERS', value: 'PLAINTEXT://$(POD_IP):9092,CONTROLLER://$(POD_IP):9093' },
            { name: 'KAFKA_ADVERTISED_LISTENERS', value: 'PLAINTEXT://$(POD_IP):9092' },
            { name: 'KAFKA_HEAP_OPTS', value: '-Xmx384m -Xms128m' },
          ],
          readinessProbe: { tcpSocket: { port: 'kafka' }, periodSeconds: 2 },
          volumeMounts: [
            { name: 'data', mountPath: '/var/lib/kafka/data' },
            { name: 'config', mountPath: '/mnt/shared/config' },
          ],
        },
      ],
      volumes: [
        { name: 'data', persistentVolumeClaim: { claimName: `data-kafka-${id}` } },
        { name: 'config', configMap: { name: 'kafka-config' } },
      ],
    },
  };
}
