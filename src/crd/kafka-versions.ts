// The Kafka versions Keelson runs, each tested against real brokers, with the
// KRaft metadata.version a new cluster of that version is formatted with.
export const kafkaVersions = {
  '3.9.1': { metadataVersion: '3.9-IV0' },
  '4.1.1': { metadataVersion: '4.1-IV1' },
} as const;

export type KafkaVersion = keyof typeof kafkaVersions;
export const supportedKafkaVersions = Object.keys(kafkaVersions) as [KafkaVersion, ...KafkaVersion[]];

/** The official image for a version; the test node agent understands the same reference. */
export const kafkaImage = (version: string): string => `apache/kafka:${version}`;
