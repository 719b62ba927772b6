// The options of every Kafka client Keelson makes (admin, producer, consumer,
// single connections): the addresses, and for a secured cluster TLS with
// Keelson's own client certificate, read from its Secret here in the activity
// (the workflow hands over the Secret's name only). A broker's certificate
// must chain to the cluster CA and name a host of the cluster's headless
// Service: Keelson reaches brokers by pod IP, which no certificate names.
import type { KubeConfig, V1Secret } from '@kubernetes/client-node';
import { KubeApi, resourcePath } from '../../kubernetes/api.ts';
import type { ConnectionOptions, PeerCertificate } from 'node:tls';
import { accessOf, type KafkaAccess, type KafkaTlsRef } from '../../domain/tls.ts';

export const clientId = 'keelson-operator';

export interface KafkaClientOptions {
  clientId: string;
  bootstrapBrokers: string[];
  tls?: ConnectionOptions;
}

/** Reads a client certificate Secret at most every this often: a renewed one is picked up within it. */
const cacheMs = 10_000;

export function checkNodeIdentity(nodeDomain: string) {
  return (_host: string, certificate: PeerCertificate): Error | undefined => {
    const names = (certificate.subjectaltname ?? '')
      .split(', ')
      .filter((entry) => entry.startsWith('DNS:'))
      .map((entry) => entry.slice('DNS:'.length));
    return names.some((name) => name.endsWith(nodeDomain))
      ? undefined
      : new Error(
          `the broker's certificate names no host in ${nodeDomain.slice(1)} (it names ${names.join(', ') || 'none'})`,
        );
  };
}

export type KafkaClients = ReturnType<typeof kafkaClients>;

export function kafkaClients(kube: KubeConfig | undefined) {
  const api = kube && new KubeApi(kube);
  const cache = new Map<string, { readAtMs: number; tls: Promise<ConnectionOptions> }>();

  async function readTls(ref: KafkaTlsRef): Promise<ConnectionOptions> {
    if (api === undefined) throw new Error('no Kubernetes client to read the Kafka client certificate with');
    const secret = await api.get<V1Secret>(resourcePath('v1', 'secrets', ref.namespace, ref.secret));
    const file = (key: string): string => {
      const value = secret.data?.[key];
      if (value === undefined) throw new Error(`Secret ${ref.namespace}/${ref.secret} lacks ${key}`);
      return Buffer.from(value, 'base64').toString('utf8');
    };
    return {
      ca: file('ca.crt'),
      cert: file('tls.crt'),
      key: file('tls.key'),
      checkServerIdentity: checkNodeIdentity(ref.nodeDomain),
    };
  }

  function tlsOptions(ref: KafkaTlsRef): Promise<ConnectionOptions> {
    const key = `${ref.namespace}/${ref.secret}`;
    const cached = cache.get(key);
    if (cached && Date.now() - cached.readAtMs < cacheMs) return cached.tls;
    const tls = readTls(ref);
    cache.set(key, { readAtMs: Date.now(), tls });
    tls.catch(() => cache.delete(key));
    return tls;
  }

  return {
    /** Options for a client of `access` (a run recorded before secured clusters may hand addresses alone). */
    async options(access: KafkaAccess | string[], id = clientId): Promise<KafkaClientOptions> {
      const { addresses, tls } = accessOf(access);
      return {
        clientId: id,
        bootstrapBrokers: addresses,
        ...(tls ? { tls: await tlsOptions(tls) } : {}),
      };
    },
  };
}
