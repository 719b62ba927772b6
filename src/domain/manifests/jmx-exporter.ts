// The Prometheus JMX exporter in each node (spec.metrics.jmxExporter): the
// Java agent from an image volume, its rules in the cluster's ConfigMap, and
// the agent bound to the pod's own IP on the `metrics` port. The rules keep
// the names Kafka's MBeans give (lower case): the dashboards and alerts in
// the Helm chart use them, and a test checks each against a real broker.
import type { V1ContainerPort, V1EnvVar, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { KafkaClusterSpec } from '../../crd/kafka-cluster.ts';
import { configMountPath } from './config.ts';

export const jmxExporterConfigKey = 'jmx-exporter.yaml';
export const jmxExporterMountPath = '/opt/keelson/jmx-exporter';
export const jmxExporterJar = 'jmx_prometheus_javaagent.jar';

export const jmxExporterRules = `lowercaseOutputName: true
lowercaseOutputLabelNames: true
rules:
  # Throughput per topic and in total: kafka_server_brokertopicmetrics_bytesinpersec_total{topic}
  - pattern: 'kafka.server<type=BrokerTopicMetrics, name=(.+), topic=(.+)><>Count'
    name: kafka_server_brokertopicmetrics_$1_total
    type: COUNTER
    labels:
      topic: '$2'
  - pattern: 'kafka.server<type=BrokerTopicMetrics, name=(.+)><>Count'
    name: kafka_server_brokertopicmetrics_$1_total
    type: COUNTER
  # Request time by request type, median and 99th percentile (milliseconds).
  - pattern: 'kafka.network<type=RequestMetrics, name=TotalTimeMs, request=(.+)><>(50|99)thPercentile'
    name: kafka_network_requestmetrics_totaltimems
    type: GAUGE
    labels:
      request: '$1'
      quantile: '0.$2'
  # Partition state, controller state, request handler idle ratio: one value per MBean.
  - pattern: 'kafka.(server|controller|network)<type=(.+), name=(.+)><>Value'
    name: kafka_$1_$2_$3
    type: GAUGE
  - pattern: 'kafka.(server|controller|network)<type=(.+), name=(.+)><>Count'
    name: kafka_$1_$2_$3_total
    type: COUNTER
  # Log size per partition.
  - pattern: 'kafka.log<type=Log, name=Size, topic=(.+), partition=(.+)><>Value'
    name: kafka_log_log_size
    type: GAUGE
    labels:
      topic: '$1'
      partition: '$2'
`;

type Spec = Pick<KafkaClusterSpec, 'metrics'>;

export const jmxExporterEnabled = (spec: Spec): boolean => spec.metrics?.jmxExporter.enabled === true;

/** What a node's pod gets when the exporter is on: its agent option, volume, mount and port. */
export function jmxExporterPodParts(
  spec: Spec,
): { javaAgent: string; volume: V1Volume; mount: V1VolumeMount; port: V1ContainerPort } | undefined {
  const exporter = spec.metrics?.jmxExporter;
  if (!exporter?.enabled) return undefined;
  return {
    // $(POD_IP): the pod's own address, defined first in the container's env (nodeEnv).
    javaAgent: `-javaagent:${jmxExporterMountPath}/${jmxExporterJar}=$(POD_IP):${exporter.port}:${configMountPath}/${jmxExporterConfigKey}`,
    volume: { name: 'jmx-exporter', image: { reference: exporter.image, pullPolicy: 'IfNotPresent' } },
    mount: { name: 'jmx-exporter', mountPath: jmxExporterMountPath, readOnly: true },
    port: { name: 'metrics', containerPort: exporter.port },
  };
}

/** KAFKA_OPTS: the pool's JVM options, then the agent. */
export function kafkaOpts(options: readonly string[] | undefined, spec: Spec): V1EnvVar[] {
  const agent = jmxExporterPodParts(spec)?.javaAgent;
  const all = [...(options ?? []), ...(agent ? [agent] : [])];
  return all.length > 0 ? [{ name: 'KAFKA_OPTS', value: all.join(' ') }] : [];
}
