// What a KafkaCluster may be called. The name is the value of the
// keelson.dev/cluster label on every owned object (at most 63 characters) and
// the start of its Services' names, which must be DNS-1035 labels; longer
// derived names (pods, claims) are shortened with a hash by src/domain/names.ts.
// The API server checks these rules at admission (crd.ts).
export const maxClusterNameLength = 63;
export const clusterNamePattern = '^[a-z]([-a-z0-9]*[a-z0-9])?$';

export const clusterNameRules = [
  {
    rule: `size(self.metadata.name) <= ${maxClusterNameLength}`,
    message: `metadata.name: a KafkaCluster name is at most ${maxClusterNameLength} characters (it is a label value on every object the cluster owns)`,
    holds: (name: string) => name.length <= maxClusterNameLength,
  },
  {
    rule: `self.metadata.name.matches('${clusterNamePattern}')`,
    message:
      'metadata.name: a KafkaCluster name must be a DNS-1035 label (a-z, 0-9 and "-", starting with a letter and ending with a letter or digit), because Services are named after it',
    holds: (name: string) => new RegExp(clusterNamePattern).test(name),
  },
];
