// spec.metrics: the brokers' own metrics, exported by the Prometheus JMX
// exporter running as a Java agent in each node. Its jar comes from an image
// mounted as a volume (Kubernetes image volumes), so the Kafka image stays
// the official one; its rules are Keelson's (src/domain/manifests/jmx-exporter.ts).
import { z } from 'zod';
import { imageReference } from './pod-template.ts';

export const jmxExporterVersion = '1.0.1';

export const Metrics = z.object({
  jmxExporter: z
    .object({
      /** Turning it on or off restarts every node in a safe roll. @default false */
      enabled: z.boolean().default(false),
      /**
       * An image holding jmx_prometheus_javaagent.jar at its root (deploy/jmx-exporter/Dockerfile).
       * @default keelson/jmx-exporter:1.0.1
       */
      image: imageReference('registry.example.com/keelson/jmx-exporter:1.0.1').default(
        `keelson/jmx-exporter:${jmxExporterVersion}`,
      ),
      /** The pods' `metrics` port. @default 9404 */
      port: z.int().min(1024).max(65535).default(9404),
    })
    .default({ enabled: false, image: `keelson/jmx-exporter:${jmxExporterVersion}`, port: 9404 }),
});
export type Metrics = z.output<typeof Metrics>;
