// Cluster DNS for the brokers, in the form of a hosts file that every Kafka
// JVM reads through -Djdk.net.hosts.file: a pod with spec.hostname and
// spec.subdomain (a headless Service) gets the names Kubernetes DNS would give
// it, so KRaft voters can be configured by name, as on a real cluster.
export interface PodAddress {
  namespace: string;
  hostname: string | undefined;
  subdomain: string | undefined;
  podIP: string;
}

export function hostsFileText(pods: readonly PodAddress[], clusterDomain = 'cluster.local'): string {
  const lines = ['127.0.0.1 localhost'];
  for (const pod of pods) {
    if (!pod.hostname || !pod.subdomain) continue;
    const short = `${pod.hostname}.${pod.subdomain}.${pod.namespace}.svc`;
    lines.push(`${pod.podIP} ${short}.${clusterDomain} ${short}`);
  }
  return lines.sort().join('\n') + '\n';
}
