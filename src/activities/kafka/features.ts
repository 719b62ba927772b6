// The cluster's metadata.version: read from ApiVersions (finalized level and
// each node's supported range) and raised with UpdateFeatures, which brokers
// forward to the active controller. Raising is idempotent: a cluster already
// at or above the target is left alone.
import { apiVersionsV3, FeatureUpgradeTypes, metadataV12, updateFeaturesV1 } from '@platformatic/kafka';
import { metadataVersionOfLevel } from '../../crd/kafka-versions.ts';
import { planMetadataVersionRaise, type NodeFeatureSupport } from '../../domain/metadata-version.ts';
import { withConnection } from './connection.ts';
import type { KafkaAccess } from '../../domain/tls.ts';
import type { KafkaClientOptions, KafkaClients } from './client-options.ts';
import { failure } from '../../domain/failures.ts';

const feature = 'metadata.version';

interface FeatureLevels {
  finalizedLevel: number;
  maxLevel: number;
}

/** Levels as the first of `addresses` that answers reports them. */
async function featureLevels(client: KafkaClientOptions): Promise<FeatureLevels> {
  const response = await withConnection(client, (c) => apiVersionsV3.api.async(c, client.clientId, '0.1.0'));
  return {
    finalizedLevel: response.finalizedFeatures?.find((f) => f.name === feature)?.maxVersionLevel ?? 0,
    maxLevel: response.supportedFeatures?.find((f) => f.name === feature)?.maxVersion ?? 0,
  };
}

export interface NodeAddress {
  nodeId: number;
  /** host:port of a listener the node answers ApiVersions on (the controller listener for a controller-only node). */
  address: string;
}

export function featureActivities(kafka: KafkaClients) {
  return {
    /** The finalized metadata.version, as Kafka names it. */
    async readMetadataVersion(input: { bootstrap: KafkaAccess }): Promise<string> {
      return metadataVersionOfLevel(
        (await featureLevels(await kafka.options(input.bootstrap))).finalizedLevel,
      );
    },

    /**
     * Raises metadata.version to `to` once every node of the cluster reports
     * support for it and no broker outside the cluster is registered.
     */
    async raiseMetadataVersion(input: {
      nodes: NodeAddress[];
      bootstrap: KafkaAccess;
      to: string;
    }): Promise<{ from: string; to: string }> {
      const client = await kafka.options(input.bootstrap);
      const reports: (NodeFeatureSupport & FeatureLevels)[] = [];
      for (const node of input.nodes) {
        // A node that does not answer is retried: it may be restarting.
        reports.push({
          nodeId: node.nodeId,
          ...(await featureLevels({ ...client, bootstrapBrokers: [node.address] })),
        });
      }
      const metadata = await withConnection(client, (c) => metadataV12.api.async(c, [], false, false));
      const step = planMetadataVersionRaise({
        target: input.to,
        finalizedLevel: Math.max(0, ...reports.map((r) => r.finalizedLevel)),
        nodes: reports,
        registeredBrokerIds: metadata.brokers.map((b) => b.nodeId),
      });
      if (step.kind === 'refused') throw failure('MetadataVersionRefused', step.message);
      if (step.kind === 'done') return { from: step.finalized, to: step.finalized };
      await withConnection(client, (c) =>
        updateFeaturesV1.api.async(
          c,
          30_000,
          [{ feature, maxVersionLevel: step.level, upgradeType: FeatureUpgradeTypes.UPGRADE }],
          false,
        ),
      );
      return { from: step.from, to: input.to };
    },
  };
}
