// Cluster-wide dynamic broker configs (the "default" broker resource, name
// ""), which Kafka applies to every broker at run time. Keelson owns the keys
// of src/domain/dynamic-config.ts at this level: it sets what the spec says
// and deletes what the spec no longer has, so a removed key falls back to the
// static value in server.properties.
import {
  Admin,
  ConfigResourceTypes,
  ConfigSources,
  IncrementalAlterConfigOperationTypes,
} from '@platformatic/kafka';
import { heartbeat, sleep } from '@temporalio/activity';
import { isDynamicBrokerConfig } from '../../domain/dynamic-config.ts';
import type { KafkaAccess } from '../../domain/tls.ts';
import type { KafkaClients } from './client-options.ts';

const clusterDefault = { resourceType: ConfigResourceTypes.BROKER, resourceName: '' } as const;

async function readDynamicDefaults(admin: Admin): Promise<Record<string, string>> {
  const [description] = await admin.describeConfigs({ resources: [{ ...clusterDefault }] });
  return Object.fromEntries(
    (description?.configs ?? [])
      .filter((c) => c.configSource === ConfigSources.DYNAMIC_DEFAULT_BROKER_CONFIG && c.value !== null)
      .filter((c) => isDynamicBrokerConfig(c.name))
      .map((c) => [c.name, c.value ?? '']),
  );
}

export function brokerConfigActivities(kafka: KafkaClients) {
  return {
    /** The cluster-wide dynamic broker configs Keelson owns, as Kafka holds them now. */
    async readClusterDynamicConfig(input: { bootstrap: KafkaAccess }): Promise<Record<string, string>> {
      const admin = new Admin(await kafka.options(input.bootstrap));
      try {
        return await readDynamicDefaults(admin);
      } finally {
        await admin.close();
      }
    },

    /**
     * Sets and deletes cluster-wide dynamic configs, then waits until the
     * brokers' metadata shows them (the controller commits first, brokers
     * catch up a moment later) and returns what Kafka holds.
     */
    async applyClusterDynamicConfig(input: {
      bootstrap: KafkaAccess;
      set: Record<string, string>;
      remove: string[];
    }): Promise<Record<string, string>> {
      const admin = new Admin(await kafka.options(input.bootstrap));
      try {
        await admin.incrementalAlterConfigs({
          resources: [
            {
              ...clusterDefault,
              configs: [
                ...Object.entries(input.set).map(([name, value]) => ({
                  name,
                  value,
                  configOperation: IncrementalAlterConfigOperationTypes.SET,
                })),
                ...input.remove.map((name) => ({
                  name,
                  configOperation: IncrementalAlterConfigOperationTypes.DELETE,
                })),
              ],
            },
          ],
        });
        for (;;) {
          const current = await readDynamicDefaults(admin);
          const pending = [
            ...Object.entries(input.set).filter(([key, value]) => current[key] !== value),
            ...input.remove.filter((key) => key in current),
          ];
          heartbeat({ pending: pending.length });
          if (pending.length === 0) return current;
          await sleep(500);
        }
      } finally {
        await admin.close();
      }
    },
  };
}
