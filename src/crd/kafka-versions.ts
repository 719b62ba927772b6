// The Kafka versions Keelson runs, each tested against real brokers, with the
// KRaft metadata.version a new cluster of that version is formatted with.
export const kafkaVersions = {
  '3.9.1': { metadataVersion: '3.9-IV0' },
  '4.1.1': { metadataVersion: '4.1-IV1' },
} as const;

export type KafkaVersion = keyof typeof kafkaVersions;
export const supportedKafkaVersions = Object.keys(kafkaVersions) as [KafkaVersion, ...KafkaVersion[]];

/**
 * The feature level of each KRaft metadata.version from 3.3-IV3 (the oldest
 * Kafka 4 accepts) to the newest our Kafka versions know, as Kafka's
 * MetadataVersion enum numbers them. UpdateFeatures takes the level.
 */
export const metadataVersionLevels = {
  '3.3-IV3': 7,
  '3.4-IV0': 8,
  '3.5-IV0': 9,
  '3.5-IV1': 10,
  '3.5-IV2': 11,
  '3.6-IV0': 12,
  '3.6-IV1': 13,
  '3.6-IV2': 14,
  '3.7-IV0': 15,
  '3.7-IV1': 16,
  '3.7-IV2': 17,
  '3.7-IV3': 18,
  '3.7-IV4': 19,
  '3.8-IV0': 20,
  '3.9-IV0': 21,
  '4.0-IV0': 22,
  '4.0-IV1': 23,
  '4.0-IV2': 24,
  '4.0-IV3': 25,
  '4.1-IV0': 26,
  '4.1-IV1': 27,
} as const;

export type MetadataVersion = keyof typeof metadataVersionLevels;
export const knownMetadataVersions = Object.keys(metadataVersionLevels) as [
  MetadataVersion,
  ...MetadataVersion[],
];

/** The metadata.version of a feature level, or a readable stand-in for one Keelson does not know. */
export const metadataVersionOfLevel = (level: number): string =>
  knownMetadataVersions.find((v) => metadataVersionLevels[v] === level) ?? `level ${level}`;

/** The official image for a version; the test node agent understands the same reference. */
export const kafkaImage = (version: string): string => `apache/kafka:${version}`;
