// Kubernetes names of everything a KafkaCluster owns, in one place: DNS-safe,
// at most 63 characters (pod hostnames and Service names must be DNS labels),
// and, when a cluster name is too long, shortened from the front with a hash
// suffix so that names stay unique and stable.
import { contentHash } from './hash.ts';

const maxLabel = 63;

export function dnsLabel(name: string, max = maxLabel): string {
  if (name.length <= max) return name;
  const hash = contentHash(name).slice(0, 8);
  return `${name.slice(0, max - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}

export const names = {
  nodePod: (cluster: string, pool: string, index: number): string => {
    const suffix = `-${pool}-${index}`;
    return `${dnsLabel(cluster, maxLabel - suffix.length)}${suffix}`;
  },
  dataClaim: (pod: string): string => `data-${pod}`,
  headlessService: (cluster: string): string => dnsLabel(`${cluster}-nodes`),
  bootstrapService: (cluster: string): string => dnsLabel(`${cluster}-bootstrap`),
  configMap: (cluster: string): string => dnsLabel(`${cluster}-config`),
  brokerDisruptionBudget: (cluster: string): string => dnsLabel(`${cluster}-brokers`),
  controllerDisruptionBudget: (cluster: string): string => dnsLabel(`${cluster}-controllers`),
  clusterCa: (cluster: string): string => dnsLabel(`${cluster}-cluster-ca`, 253),
  clientsCa: (cluster: string): string => dnsLabel(`${cluster}-clients-ca`, 253),
  /** A node's key and certificate, with the CAs it trusts: the only Secret its pod mounts. */
  nodeCertificate: (pod: string): string => dnsLabel(`${pod}-tls`, 253),
  /** Keelson's own client key and certificate for this cluster. */
  operatorCertificate: (cluster: string): string => dnsLabel(`${cluster}-keelson-client`, 253),
  networkPolicy: (cluster: string): string => dnsLabel(`${cluster}-network`, 253),
  /** The Service clients outside Kubernetes bootstrap from, per external listener. */
  externalBootstrap: (cluster: string, listener: string): string =>
    dnsLabel(`${cluster}-${listener}-bootstrap`),
  /** One broker's Service on an external listener. */
  externalBroker: (cluster: string, listener: string, nodeId: number): string =>
    dnsLabel(`${cluster}-${listener}-${nodeId}`),
};
