// Issuing a secured cluster's certificates: the cluster CA and the clients CA
// (made by Keelson, or read from the Secret a user names), one Secret per node
// with its key, its certificate chain and the CAs it trusts, and Keelson's own
// client certificate. Keys are made and stored here and never leave the
// activity: the workflow gets Secret names and expiry dates back.
import { CoreV1Api, type KubeConfig, type V1Secret } from '@kubernetes/client-node';
import type { CertificateAuthority } from '../../crd/kafka-cluster.ts';
import { reissueReason } from '../../domain/certificates.ts';
import { failure } from '../../domain/failures.ts';
import { clusterLabels, ownerReference, ownerUidOf, type ClusterRef } from '../../domain/labels.ts';
import { names } from '../../domain/names.ts';
import { nodeTlsFiles, principals } from '../../domain/tls.ts';
import { classified } from '../failures.ts';
import { certificateFacts, createCa, issue, loadCa, type KeyPair, type SigningCa } from './pki.ts';

/** On a certificate's Secret: the rotation it was last issued for (a retried activity does not issue it twice). */
export const rotationAnnotation = 'keelson.dev/rotation';

export interface CertificatesInput {
  cluster: ClusterRef;
  clusterCa: CertificateAuthority;
  clientsCa: CertificateAuthority;
  nodes: { podName: string; dnsNames: string[] }[];
  /** A rotation asked for: every node and Keelson certificate not issued for it yet is issued again. */
  rotation?: string;
}

/** One certificate as status shows it: where it is and until when it is valid. */
export interface CertificateStatus {
  secret: string;
  /** cluster-ca, clients-ca, node or operator. */
  kind: 'cluster-ca' | 'clients-ca' | 'node' | 'operator';
  notAfter: string;
  /** Its serial number (hex): public, and what a node's config hash records. */
  serial: string;
  /** The node's pod, for a node certificate. */
  pod?: string;
  /** A CA the user provides: Keelson never replaces it. */
  userProvided?: true;
}

const decode = (secret: V1Secret | undefined, key: string): string | undefined => {
  const value = secret?.data?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
};

/** Told of every certificate of a cluster after each check (the operator's expiry gauge). */
export type CertificatesObserver = (
  cluster: { namespace: string; name: string },
  certificates: readonly CertificateStatus[],
) => void;

export function certificateActivities(kube: KubeConfig, observe: CertificatesObserver = () => undefined) {
  const core = kube.makeApiClient(CoreV1Api);

  const read = (namespace: string, name: string): Promise<V1Secret | undefined> =>
    core.readNamespacedSecret({ name, namespace }).catch((err: { code?: number }) => {
      if (err.code === 404) return undefined;
      throw err;
    });

  /** A Secret Keelson keeps keys in must be this cluster's: never one a user or another cluster made. */
  function checkOwned(cluster: ClusterRef, secret: V1Secret | undefined): void {
    if (secret === undefined || ownerUidOf(secret.metadata) === cluster.uid) return;
    throw failure(
      'OwnedByAnotherCluster',
      `Secret ${cluster.namespace}/${secret.metadata?.name} exists and is not this KafkaCluster's (uid ${cluster.uid}); Keelson keeps keys only in Secrets it made, so delete or rename it`,
    );
  }

  async function write(
    cluster: ClusterRef,
    name: string,
    existing: V1Secret | undefined,
    files: Record<string, string>,
    annotations: Record<string, string> = {},
  ) {
    const body: V1Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: {
        name,
        namespace: cluster.namespace,
        labels: clusterLabels(cluster),
        annotations: { ...existing?.metadata?.annotations, ...annotations },
        ownerReferences: [ownerReference(cluster)],
        ...(existing?.metadata?.resourceVersion
          ? { resourceVersion: existing.metadata.resourceVersion }
          : {}),
      },
      data: Object.fromEntries(Object.entries(files).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    };
    await classified(`writing Secret ${cluster.namespace}/${name}`, () =>
      existing
        ? core.replaceNamespacedSecret({ name, namespace: cluster.namespace, body })
        : core.createNamespacedSecret({ namespace: cluster.namespace, body }),
    );
  }

  /** The CA that signs, made when missing or expired (a CA you provide is only read). */
  async function signingCa(
    cluster: ClusterRef,
    kind: 'cluster-ca' | 'clients-ca',
    spec: CertificateAuthority,
    statuses: CertificateStatus[],
  ): Promise<SigningCa> {
    const report = (secret: string, ca: SigningCa, userProvided: boolean) =>
      statuses.push({
        secret,
        kind,
        notAfter: ca.certificate.notAfter.toISOString(),
        serial: ca.certificate.serialNumber.toLowerCase(),
        ...(userProvided ? { userProvided: true as const } : {}),
      });
    if (spec.secretName !== undefined) {
      const secret = await read(cluster.namespace, spec.secretName);
      const certificatePem = decode(secret, 'ca.crt');
      const keyPem = decode(secret, 'ca.key');
      const field = `security.${kind === 'cluster-ca' ? 'clusterCa' : 'clientsCa'}.secretName`;
      if (certificatePem === undefined || keyPem === undefined) {
        throw failure(
          'InvalidSpec',
          `${field}: Secret ${cluster.namespace}/${spec.secretName} ${secret ? 'lacks the key ca.crt or ca.key' : 'does not exist'}`,
        );
      }
      const ca = await loadCa(certificatePem, keyPem).catch((err: unknown) => {
        throw failure(
          'InvalidSpec',
          `${field}: Secret ${cluster.namespace}/${spec.secretName}: ${(err as Error).message}`,
        );
      });
      report(spec.secretName, ca, true);
      return ca;
    }
    const name = kind === 'cluster-ca' ? names.clusterCa(cluster.name) : names.clientsCa(cluster.name);
    const secret = await read(cluster.namespace, name);
    checkOwned(cluster, secret);
    const certificatePem = decode(secret, 'ca.crt');
    const keyPem = decode(secret, 'ca.key');
    let ca =
      certificatePem && keyPem ? await loadCa(certificatePem, keyPem).catch(() => undefined) : undefined;
    if (ca === undefined || ca.certificate.notAfter.getTime() <= Date.now()) {
      ca = await createCa(`${cluster.namespace}/${cluster.name} ${kind}`, spec.validityDays);
      await write(cluster, name, secret, { 'ca.crt': ca.certificatePem, 'ca.key': ca.keyPem });
    }
    report(name, ca, false);
    return ca;
  }

  return {
    /**
     * Makes sure every certificate of a secured cluster exists, is signed by
     * the current CA, names what it must, has not expired and is not due for
     * renewal; issues the ones that are not. Returns where they are, their
     * serial numbers and expiry, and what was issued why: never a key.
     */
    async ensureCertificates(
      input: CertificatesInput,
    ): Promise<{ certificates: CertificateStatus[]; issued: { secret: string; reason: string }[] }> {
      const { cluster } = input;
      const certificates: CertificateStatus[] = [];
      const issued: { secret: string; reason: string }[] = [];
      const clusterCa = await signingCa(cluster, 'cluster-ca', input.clusterCa, certificates);
      const clientsCa = await signingCa(cluster, 'clients-ca', input.clientsCa, certificates);

      const ensureLeaf = async (leaf: {
        secret: string;
        kind: 'node' | 'operator';
        pod?: string;
        commonName: string;
        dnsNames: string[];
        /** The Secret's keys holding the key and certificate. */
        files: (pair: KeyPair) => Record<string, string>;
        /** The CAs it trusts, kept up to date without a new certificate. */
        trust: Record<string, string>;
      }) => {
        const secret = await read(cluster.namespace, leaf.secret);
        checkOwned(cluster, secret);
        const pem = decode(secret, 'tls.crt');
        const facts = pem ? certificateFactsOrUndefined(pem) : undefined;
        const rotationDue =
          input.rotation !== undefined &&
          secret?.metadata?.annotations?.[rotationAnnotation] !== input.rotation;
        const reason =
          reissueReason(
            facts && { ...facts, signedByCurrentCa: facts.signedBy(clusterCa.certificatePem) },
            { dnsNames: leaf.dnsNames, renewalDays: input.clusterCa.renewalDays },
            Date.now(),
          ) ?? (rotationDue ? 'rotation asked for' : undefined);
        let current = facts;
        if (reason !== undefined) {
          const pair = await issue(clusterCa, {
            commonName: leaf.commonName,
            dnsNames: leaf.dnsNames,
            usage: leaf.kind === 'node' ? 'server-and-client' : 'client',
            validityDays: input.clusterCa.validityDays,
          });
          await write(
            cluster,
            leaf.secret,
            secret,
            { ...leaf.files(pair), 'tls.crt': pair.certificatePem, ...leaf.trust },
            input.rotation !== undefined ? { [rotationAnnotation]: input.rotation } : {},
          );
          issued.push({ secret: leaf.secret, reason });
          current = certificateFacts(pair.certificatePem);
        } else if (Object.entries(leaf.trust).some(([key, value]) => decode(secret, key) !== value)) {
          // Only the trusted CAs changed: keep the key and certificate.
          const kept = Object.fromEntries(
            Object.keys(secret?.data ?? {}).map((key) => [key, decode(secret, key) ?? '']),
          );
          await write(cluster, leaf.secret, secret, { ...kept, ...leaf.trust });
        }
        certificates.push({
          secret: leaf.secret,
          kind: leaf.kind,
          notAfter: new Date(current?.notAfterMs ?? 0).toISOString(),
          serial: current?.serial ?? '',
          ...(leaf.pod !== undefined ? { pod: leaf.pod } : {}),
        });
      };

      for (const node of input.nodes) {
        await ensureLeaf({
          secret: names.nodeCertificate(node.podName),
          kind: 'node',
          pod: node.podName,
          commonName: principals.node,
          dnsNames: node.dnsNames,
          files: (pair) => ({ [nodeTlsFiles.keystore]: pair.keyPem + pair.certificatePem }),
          trust: {
            [nodeTlsFiles.clusterCa]: clusterCa.certificatePem,
            [nodeTlsFiles.clientsCa]: clientsCa.certificatePem,
          },
        });
      }
      // Keelson's own: renewed here too, and used from its next connection (no restart needed).
      await ensureLeaf({
        secret: names.operatorCertificate(cluster.name),
        kind: 'operator',
        commonName: principals.operator,
        dnsNames: [],
        files: (pair) => ({ 'tls.key': pair.keyPem }),
        trust: { 'ca.crt': clusterCa.certificatePem },
      });
      observe(cluster, certificates);
      return { certificates, issued };
    },
  };
}

function certificateFactsOrUndefined(pem: string) {
  try {
    return certificateFacts(pem);
  } catch {
    return undefined;
  }
}
