// The KafkaCluster's API names, apart from its schema: workflow code needs
// them, and importing kafka-cluster.ts would evaluate zod and the whole schema
// again in every workflow's context (see src/workflows/spec-check.ts).
export const group = 'keelson.dev';
export const version = 'v1alpha1';
export const kind = 'KafkaCluster';
export const plural = 'kafkaclusters';
export const apiVersion = `${group}/${version}`;
