// The topic config keys Keelson knows, apart from the KafkaTopic schema:
// workflow code needs them without evaluating zod per workflow.

/**
 * Topic config keys Kafka knows (org.apache.kafka.common.config.TopicConfig
 * of Kafka 4.1), less the replication throttle keys, which Keelson sets
 * while it changes a topic's replication factor.
 */
export const topicConfigKeys = [
  'cleanup.policy',
  'compression.gzip.level',
  'compression.lz4.level',
  'compression.type',
  'compression.zstd.level',
  'delete.retention.ms',
  'file.delete.delay.ms',
  'flush.messages',
  'flush.ms',
  'index.interval.bytes',
  'local.retention.bytes',
  'local.retention.ms',
  'max.compaction.lag.ms',
  'max.message.bytes',
  'message.timestamp.after.max.ms',
  'message.timestamp.before.max.ms',
  'message.timestamp.type',
  'min.cleanable.dirty.ratio',
  'min.compaction.lag.ms',
  'min.insync.replicas',
  'preallocate',
  'remote.log.copy.disable',
  'remote.log.delete.on.disable',
  'remote.storage.enable',
  'retention.bytes',
  'retention.ms',
  'segment.bytes',
  'segment.index.bytes',
  'segment.jitter.ms',
  'segment.ms',
  'unclean.leader.election.enable',
] as const;

/** Topic configs Keelson sets itself while it moves a topic's replicas. */
export const topicThrottleKeys = [
  'leader.replication.throttled.replicas',
  'follower.replication.throttled.replicas',
] as const;
