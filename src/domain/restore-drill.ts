// A restore drill restores a cluster's newest backup into a scratch
// KafkaCluster and compares what came back with the backup. What the
// scratch cluster is called and how it is made, as pure functions.
import type { KafkaClusterSpec } from '../crd/kafka-cluster.ts';
import { dnsLabel } from './names.ts';

/** The label on a scratch cluster naming the cluster whose backup it checks. */
export const restoreDrillOfLabel = 'keelson.dev/restore-drill-of';

/** The scratch cluster of `cluster`'s drills: one at a time, so one name (shortened with a hash when long). */
export const restoreDrillClusterName = (cluster: string): string => dnsLabel(`${cluster}-restore-drill`);

/**
 * The scratch cluster's spec: the source's Kafka version, config and
 * listeners (an authorizer among them, so ACLs restore), `brokers` nodes
 * (an odd number of them controllers too), and the source's backup target (a restore reads the backup
 * from its target's spec) with no schedule, records or drill of its own.
 */
export function scratchClusterSpec(source: KafkaClusterSpec): Record<string, unknown> {
  const backup = source.backup;
  if (!backup) throw new Error('the cluster has no spec.backup');
  const drill = backup.restoreDrill ?? { brokers: 3 };
  const firstPool = source.nodePools[0];
  // A KRaft quorum needs an odd number of controllers: the rest of the brokers are brokers only.
  const controllers = drill.brokers >= 5 ? 5 : drill.brokers >= 3 ? 3 : 1;
  const pool = (name: string, roles: string[], replicas: number) => ({
    name,
    roles,
    replicas,
    zones: firstPool?.zones ?? ['default'],
    storage: {
      ...(firstPool?.storage ?? {}),
      size: drill.storageSize ?? firstPool?.storage.size ?? '10Gi',
      // Scratch data: the claims go with the scratch cluster.
      deleteClaim: true,
    },
  });
  // Internal topics and defaults must fit the scratch cluster's (possibly fewer) brokers.
  const defaultReplicationFactor = Math.min(source.replication.defaultReplicationFactor, drill.brokers);
  return {
    kafkaVersion: source.kafkaVersion,
    config: source.config,
    listeners: source.listeners,
    replication: {
      defaultReplicationFactor,
      minInSyncReplicas: Math.min(source.replication.minInSyncReplicas, defaultReplicationFactor - 1),
    },
    nodePools: [
      pool('drill', ['controller', 'broker'], controllers),
      ...(drill.brokers > controllers ? [pool('drillbrokers', ['broker'], drill.brokers - controllers)] : []),
    ],
    backup: { target: backup.target, retention: backup.retention },
  };
}
