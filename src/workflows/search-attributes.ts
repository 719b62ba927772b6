// The Temporal search attributes every Keelson workflow carries, so the UI and
// `temporal workflow list` can filter by cluster, namespace and operation.
// Plain data: the test environment registers them, workflows set them.
export const searchAttributes = {
  cluster: { name: 'KeelsonCluster', type: 'Keyword' },
  namespace: { name: 'KeelsonNamespace', type: 'Keyword' },
  operation: { name: 'KeelsonOperation', type: 'Keyword' },
} as const;
