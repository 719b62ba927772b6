// Issuing a secured cluster's certificates: the cluster CA and the clients CA
// (made by Keelson, or read from the Secret a user names), one Secret per node
// with its key, its certificate chain and the CAs it trusts, and Keelson's own
// client certificate; and the phases of a renewal of Keelson's cluster CA
// (src/domain/certificates.ts), each started only once every node runs the
// one before. Keys are made and stored here and never leave the activity:
// the workflow gets Secret names, serial numbers and dates back.
import { heartbeat } from '@temporalio/activity';
import { readSecret, secretData, secretFiles, secretText, writeSecret } from '../kubernetes/secret-data.ts';
import type { KubeConfig, V1Pod, V1Secret } from '@kubernetes/client-node';
import { KubeApi, resourcePath } from '../../kubernetes/api.ts';
import type { CertificateAuthority } from '../../crd/kafka-cluster.ts';
import {
  caRenewalAction,
  renewalDueAtMs,
  reissueReason,
  type CaRenewalAction,
  type CaRenewalPhase,
} from '../../domain/certificates.ts';
import { failure } from '../../domain/failures.ts';
import {
  annotationKeys,
  clusterLabels,
  labelKeys,
  ownerReference,
  ownerUidOf,
  type ClusterRef,
} from '../../domain/labels.ts';
import { names } from '../../domain/names.ts';
import { nodeCertificateMark, nodeTlsFiles, principals } from '../../domain/tls.ts';
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
  /** A renewal of the cluster CA asked for (keelson certs rotate --ca), not started for it yet. */
  caRotation?: string;
}

/** On the cluster CA's Secret: the phase of a renewal under way. */
export const caPhaseAnnotation = 'keelson.dev/ca-renewal-phase';

export interface CaRenewalOutcome {
  /** What this call did: started a renewal, moved it on, or finished it. */
  action: CaRenewalAction;
  /** The phase under way after this call, if any. */
  phase?: CaRenewalPhase;
}

/** One certificate as status shows it: where it is and until when it is valid. */
export interface CertificateStatus {
  secret: string;
  /** cluster-ca, clients-ca, node or operator. */
  kind: 'cluster-ca' | 'clients-ca' | 'node' | 'operator';
  notAfter: string;
  /** Its serial number (hex): public, and what a node's config hash records. */
  serial: string;
  /** For a node: what it must run with (nodeCertificateMark of the serial and the CAs it trusts). */
  mark?: string;
  /** The node's pod, for a node certificate. */
  pod?: string;
  /** A CA the user provides: Keelson never replaces it. */
  userProvided?: true;
}

/** Told of every certificate of a cluster after each check (the operator's expiry gauge). */
export type CertificatesObserver = (
  cluster: { namespace: string; name: string },
  certificates: readonly { secret: string; kind: string; notAfter: string }[],
  /** Which set they are: the cluster's own, or its KafkaUsers' (each replaces its set's series). */
  group?: string,
) => void;

export function certificateActivities(kube: KubeConfig, observe: CertificatesObserver = () => undefined) {
  const api = new KubeApi(kube);

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
    await classified(`writing Secret ${cluster.namespace}/${name}`, () =>
      writeSecret(
        api,
        {
          name,
          namespace: cluster.namespace,
          labels: clusterLabels(cluster),
          owner: ownerReference(cluster),
          files,
          annotations,
        },
        existing,
      ),
    );
  }

  /** A CA the user provides: read, never changed. */
  async function providedCa(cluster: ClusterRef, kind: 'cluster-ca' | 'clients-ca', secretName: string) {
    const secret = await readSecret(api, cluster.namespace, secretName);
    const certificatePem = secretText(secret, 'ca.crt');
    const keyPem = secretText(secret, 'ca.key');
    const field = `security.${kind === 'cluster-ca' ? 'clusterCa' : 'clientsCa'}.secretName`;
    if (certificatePem === undefined || keyPem === undefined) {
      throw failure(
        'InvalidSpec',
        `${field}: Secret ${cluster.namespace}/${secretName} ${secret ? 'lacks the key ca.crt or ca.key' : 'does not exist'}`,
      );
    }
    return loadCa(certificatePem, keyPem).catch((err: unknown) => {
      throw failure(
        'InvalidSpec',
        `${field}: Secret ${cluster.namespace}/${secretName}: ${(err as Error).message}`,
      );
    });
  }

  /**
   * Keelson's own CA of one kind: made when missing or expired. The cluster
   * CA's Secret also holds, during a renewal, the next CA (next.crt,
   * next.key) or the previous one (previous.crt), and the phase.
   */
  async function managedCa(
    cluster: ClusterRef,
    kind: 'cluster-ca' | 'clients-ca',
    spec: CertificateAuthority,
  ) {
    const name = kind === 'cluster-ca' ? names.clusterCa(cluster.name) : names.clientsCa(cluster.name);
    const secret = await readSecret(api, cluster.namespace, name);
    checkOwned(cluster, secret);
    const certificatePem = secretText(secret, 'ca.crt');
    const keyPem = secretText(secret, 'ca.key');
    const ca =
      certificatePem && keyPem ? await loadCa(certificatePem, keyPem).catch(() => undefined) : undefined;
    if (ca !== undefined && ca.certificate.notAfter.getTime() > Date.now()) return { name, secret, ca };
    const made = await createCa(`${cluster.namespace}/${cluster.name} ${kind}`, spec.validityDays);
    await write(cluster, name, secret, { 'ca.crt': made.certificatePem, 'ca.key': made.keyPem });
    return { name, secret: await readSecret(api, cluster.namespace, name), ca: made };
  }

  /**
   * Whether every node runs what the current phase gives it, and is Ready:
   * its Secret trusts exactly the phase's CAs (and, for the cluster CA, holds
   * a certificate of the signing one), and its pod started with that Secret as
   * it is. The Secret is checked too, not just the pod: a call killed after
   * the CA's Secret moved on but before the nodes' Secrets did must not count
   * as the next phase done.
   */
  async function allNodesCurrent(
    cluster: ClusterRef,
    nodes: CertificatesInput['nodes'],
    phase: { trustFile: string; trusted: string; signing?: string },
  ): Promise<boolean> {
    const pods = (
      await api.get<{ items: V1Pod[] }>(resourcePath('v1', 'pods', cluster.namespace), {
        labelSelector: `${labelKeys.cluster}=${cluster.name}`,
      })
    ).items;
    for (const node of nodes) {
      const pod = pods.find((p) => p.metadata?.name === node.podName);
      const ready = pod?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      if (!pod || pod.metadata?.deletionTimestamp || !ready) return false;
      const secret = await readSecret(api, cluster.namespace, names.nodeCertificate(node.podName));
      const pem = secretText(secret, 'tls.crt');
      if (!pem || secretText(secret, phase.trustFile) !== phase.trusted) return false;
      const facts = certificateFacts(pem);
      if (phase.signing !== undefined && !facts.signedBy(phase.signing)) return false;
      const mark = nodeCertificateMark(facts.serial, trustedOf(secret));
      if (pod.metadata?.annotations?.[annotationKeys.certificates] !== mark) return false;
    }
    return true;
  }

  /**
   * A CA of the cluster, moved one phase on when its renewal is wanted or
   * under way and the phase before is done. Returns the CA that signs now,
   * the CAs to trust (PEM, oldest first: promoting the new CA then changes
   * nothing the nodes trust) and what was done.
   *   cluster CA: each phase is done once every node runs it (a roll each);
   *   clients CA: its certificates are the KafkaUsers', which the users
   *     workflow issues again from the new CA at once; the old one stays
   *     trusted until it ends, so that a client that has not reloaded its
   *     certificate yet keeps working, and only then is it dropped.
   */
  async function caWithRenewal(
    input: CertificatesInput,
    kind: 'cluster-ca' | 'clients-ca',
  ): Promise<{ ca: SigningCa; trust: string; secret: string; renewal: CaRenewalOutcome }> {
    const { cluster } = input;
    const spec = kind === 'cluster-ca' ? input.clusterCa : input.clientsCa;
    if (spec.secretName !== undefined) {
      const ca = await providedCa(cluster, kind, spec.secretName);
      return { ca, trust: ca.certificatePem, secret: spec.secretName, renewal: { action: 'none' } };
    }
    const { name, secret, ca } = await managedCa(cluster, kind, spec);
    const phase = secret?.metadata?.annotations?.[caPhaseAnnotation] as CaRenewalPhase | undefined;
    const asked =
      kind === 'cluster-ca' &&
      input.caRotation !== undefined &&
      secret?.metadata?.annotations?.[rotationAnnotation] !== input.caRotation;
    const due = renewalDueAtMs(ca.certificate.notAfter.getTime(), spec.renewalDays) <= Date.now();
    const files = secretFiles(secret);
    const phaseDone = async (): Promise<boolean> => {
      if (phase === undefined) return true;
      if (kind === 'clients-ca' && phase === 'reissue') {
        const previous = files['previous.crt'];
        return previous === undefined || certificateFacts(previous).notAfterMs <= Date.now();
      }
      return allNodesCurrent(cluster, input.nodes, {
        trustFile: kind === 'cluster-ca' ? nodeTlsFiles.clusterCa : nodeTlsFiles.clientsCa,
        trusted: trustedCaBundle(files),
        ...(kind === 'cluster-ca' ? { signing: ca.certificatePem } : {}),
      });
    };
    const action = caRenewalAction(phase, { wanted: due || asked, allNodesCurrent: await phaseDone() });
    const annotations = { ...secret?.metadata?.annotations };
    let signing = ca;
    let after: CaRenewalPhase | undefined = phase;
    if (action === 'start') {
      const made = await createCa(`${cluster.namespace}/${cluster.name} ${kind}`, spec.validityDays);
      files['next.crt'] = made.certificatePem;
      files['next.key'] = made.keyPem;
      after = 'trust-new';
      if (asked && input.caRotation !== undefined) annotations[rotationAnnotation] = input.caRotation;
    } else if (action === 'promote') {
      signing = await loadCa(files['next.crt'] ?? '', files['next.key'] ?? '');
      files['previous.crt'] = ca.certificatePem;
      files['ca.crt'] = signing.certificatePem;
      files['ca.key'] = signing.keyPem;
      delete files['next.crt'];
      delete files['next.key'];
      after = 'reissue';
    } else if (action === 'drop-previous') {
      delete files['previous.crt'];
      after = 'drop-old';
    } else if (action === 'finish') {
      after = undefined;
    }
    if (action !== 'none') {
      if (after) annotations[caPhaseAnnotation] = after;
      else delete annotations[caPhaseAnnotation];
      await writeExactly(cluster, name, secret, files, annotations);
    }
    return {
      ca: signing,
      trust: trustedCaBundle(files),
      secret: name,
      renewal: { action, ...(after ? { phase: after } : {}) },
    };
  }

  /** Replaces a Secret's data and annotations as given (write() keeps existing annotations). */
  async function writeExactly(
    cluster: ClusterRef,
    name: string,
    existing: V1Secret | undefined,
    files: Record<string, string>,
    annotations: Record<string, string>,
  ) {
    const body: V1Secret = {
      ...existing,
      metadata: { ...existing?.metadata, annotations },
      data: secretData(files),
    };
    await classified(`writing Secret ${cluster.namespace}/${name}`, () =>
      api.replace(resourcePath('v1', 'secrets', cluster.namespace, name), body),
    );
  }

  return {
    /**
     * Makes sure every certificate of a secured cluster exists, is signed by
     * the current CA, names what it must, has not expired and is not due for
     * renewal, and trusts the CAs of the current phase; issues the ones that
     * are not. Returns where they are, their serial numbers and expiry, what
     * was issued why, and the CA renewal's step: never a key.
     */
    async ensureCertificates(input: CertificatesInput): Promise<{
      certificates: CertificateStatus[];
      issued: { secret: string; reason: string }[];
      caRenewal: CaRenewalOutcome;
      clientsCaRenewal: CaRenewalOutcome;
    }> {
      const { cluster } = input;
      const certificates: CertificateStatus[] = [];
      const issued: { secret: string; reason: string }[] = [];
      const clusterCa = await caWithRenewal(input, 'cluster-ca');
      const clientsCa = await caWithRenewal(input, 'clients-ca');
      for (const [kind, { ca, secret }, userProvided] of [
        ['cluster-ca', clusterCa, input.clusterCa.secretName !== undefined],
        ['clients-ca', clientsCa, input.clientsCa.secretName !== undefined],
      ] as const) {
        certificates.push({
          secret,
          kind,
          notAfter: ca.certificate.notAfter.toISOString(),
          serial: ca.certificate.serialNumber.toLowerCase(),
          ...(userProvided ? { userProvided: true as const } : {}),
        });
      }
      const signing = clusterCa.ca;

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
        heartbeat({ certificate: leaf.secret });
        const secret = await readSecret(api, cluster.namespace, leaf.secret);
        checkOwned(cluster, secret);
        const pem = secretText(secret, 'tls.crt');
        const facts = pem ? certificateFactsOrUndefined(pem) : undefined;
        const rotationDue =
          input.rotation !== undefined &&
          secret?.metadata?.annotations?.[rotationAnnotation] !== input.rotation;
        const reason =
          reissueReason(
            facts && { ...facts, signedByCurrentCa: facts.signedBy(signing.certificatePem) },
            {
              dnsNames: leaf.dnsNames,
              renewalDays: input.clusterCa.renewalDays,
              caNotAfterMs: signing.certificate.notAfter.getTime(),
            },
            Date.now(),
          ) ?? (rotationDue ? 'rotation asked for' : undefined);
        let current = facts;
        if (reason !== undefined) {
          const pair = await issue(signing, {
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
        } else if (Object.entries(leaf.trust).some(([key, value]) => secretText(secret, key) !== value)) {
          // Only the trusted CAs changed: keep the key and certificate.
          const kept = secretFiles(secret);
          await write(cluster, leaf.secret, secret, { ...kept, ...leaf.trust });
        }
        certificates.push({
          secret: leaf.secret,
          kind: leaf.kind,
          notAfter: new Date(current?.notAfterMs ?? 0).toISOString(),
          serial: current?.serial ?? '',
          ...(leaf.pod !== undefined
            ? { pod: leaf.pod, mark: nodeCertificateMark(current?.serial ?? '', trustedOfFiles(leaf.trust)) }
            : {}),
        });
      };

      const nodeTrust = {
        [nodeTlsFiles.clusterCa]: clusterCa.trust,
        [nodeTlsFiles.clientsCa]: clientsCa.trust,
      };
      for (const node of input.nodes) {
        await ensureLeaf({
          secret: names.nodeCertificate(node.podName),
          kind: 'node',
          pod: node.podName,
          commonName: principals.node,
          dnsNames: node.dnsNames,
          files: (pair) => ({ [nodeTlsFiles.keystore]: pair.keyPem + pair.certificatePem }),
          trust: nodeTrust,
        });
      }
      // Keelson's own: renewed here too, and used from its next connection (no restart needed).
      await ensureLeaf({
        secret: names.operatorCertificate(cluster.name),
        kind: 'operator',
        commonName: principals.operator,
        dnsNames: [],
        files: (pair) => ({ 'tls.key': pair.keyPem }),
        trust: { 'ca.crt': clusterCa.trust },
      });
      observe(cluster, certificates);
      return { certificates, issued, caRenewal: clusterCa.renewal, clientsCaRenewal: clientsCa.renewal };
    },
  };
}

/**
 * The CAs to trust from a CA's Secret, oldest first: during a renewal the
 * previous or the next one beside the current one. Oldest first, so that
 * promoting the next CA to current changes nothing a node or client trusts.
 */
export const trustedCaBundle = (files: Record<string, string | undefined>): string =>
  [files['previous.crt'], files['ca.crt'], files['next.crt']].filter((pem) => pem !== undefined).join('');

/** The CAs a node trusts, as one string for its mark: the cluster CAs, then the clients CAs. */
const trustedOfFiles = (files: Record<string, string>): string =>
  `${files[nodeTlsFiles.clusterCa] ?? ''}${files[nodeTlsFiles.clientsCa] ?? ''}`;

const trustedOf = (secret: V1Secret | undefined): string =>
  trustedOfFiles({
    [nodeTlsFiles.clusterCa]: secretText(secret, nodeTlsFiles.clusterCa) ?? '',
    [nodeTlsFiles.clientsCa]: secretText(secret, nodeTlsFiles.clientsCa) ?? '',
  });

function certificateFactsOrUndefined(pem: string) {
  try {
    return certificateFacts(pem);
  } catch {
    return undefined;
  }
}
