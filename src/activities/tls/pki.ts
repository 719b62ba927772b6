// Keys and certificates, made with @peculiar/x509 on Node's WebCrypto: ECDSA
// P-256 keys, PKCS#8 PEM as Kafka's PEM keystore reads it. Runs in activities
// only; nothing made here is ever returned to a workflow.
import 'reflect-metadata'; // @peculiar/x509's dependency injection needs it loaded first
import * as x509 from '@peculiar/x509';
import type { webcrypto } from 'node:crypto';
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';

type CryptoKey = webcrypto.CryptoKey;

const ecdsa = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const dayMs = 86_400_000;

export interface KeyPair {
  certificatePem: string;
  keyPem: string;
}

/** A CA that signs: its certificate and its key, as WebCrypto and PEM. */
export interface SigningCa extends KeyPair {
  certificate: x509.X509Certificate;
  privateKey: CryptoKey;
}

/** A positive 128-bit serial number, as RFC 5280 asks (at most 20 octets, non-negative). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

async function exportKeyPem(key: CryptoKey): Promise<string> {
  // Ending in a newline: Kafka's PEM keystore reads the key and the chain after it as separate entries.
  return x509.PemConverter.encode(await crypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY') + '\n';
}

/** The WebCrypto signing algorithm of a PEM key: a CA you bring may be RSA or ECDSA. */
function signingAlgorithm(keyPem: string): webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams {
  const key = createPrivateKey(keyPem);
  if (key.asymmetricKeyType === 'rsa') return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    const namedCurve = curve === 'secp384r1' ? 'P-384' : curve === 'prime256v1' ? 'P-256' : undefined;
    if (namedCurve) return { name: 'ECDSA', namedCurve };
  }
  throw new Error(`a CA key must be RSA or ECDSA P-256/P-384, not ${key.asymmetricKeyType ?? 'unknown'}`);
}

/** Reads a CA from PEM (ca.crt may hold more certificates: the first is the one that signs). */
export async function loadCa(certificatePem: string, keyPem: string): Promise<SigningCa> {
  const certificate = new x509.X509Certificate(firstCertificate(certificatePem));
  const algorithm = signingAlgorithm(keyPem);
  const der = x509.PemConverter.decodeFirst(keyPem);
  const privateKey = await crypto.subtle.importKey('pkcs8', der, algorithm, false, ['sign']);
  const pair = new X509Certificate(certificate.toString('pem'));
  if (!pair.checkPrivateKey(createPrivateKey(keyPem))) throw new Error('ca.key is not the key of ca.crt');
  return { certificate, privateKey, certificatePem: certificate.toString('pem') + '\n', keyPem };
}

export async function createCa(
  commonName: string,
  validityDays: number,
  now = new Date(),
): Promise<SigningCa> {
  const keys = await crypto.subtle.generateKey(ecdsa, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${commonName}`,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + validityDays * dayMs),
    keys,
    signingAlgorithm: ecdsa,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    certificate,
    privateKey: keys.privateKey,
    certificatePem: certificate.toString('pem') + '\n',
    keyPem: await exportKeyPem(keys.privateKey),
  };
}

export interface LeafRequest {
  commonName: string;
  dnsNames: readonly string[];
  usage: 'server-and-client' | 'client';
  validityDays: number;
}

/** A certificate signed by `ca`, with a new key. The chain in certificatePem ends with the CA. */
export async function issue(ca: SigningCa, request: LeafRequest, now = new Date()): Promise<KeyPair> {
  const keys = await crypto.subtle.generateKey(ecdsa, true, ['sign', 'verify']);
  const usages =
    request.usage === 'client'
      ? [x509.ExtendedKeyUsage.clientAuth]
      : [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth];
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${request.commonName}`,
    issuer: ca.certificate.subject,
    notBefore: new Date(now.getTime() - 60_000),
    // Never past the CA's own end: a chain is only as valid as its CA.
    notAfter: new Date(
      Math.min(now.getTime() + request.validityDays * dayMs, ca.certificate.notAfter.getTime()),
    ),
    publicKey: keys.publicKey,
    signingKey: ca.privateKey,
    signingAlgorithm: { ...ca.privateKey.algorithm, hash: 'SHA-256' },
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension(usages),
      ...(request.dnsNames.length > 0
        ? [
            new x509.SubjectAlternativeNameExtension(
              // An external listener's address may be an IP address: an IP entry, as clients check it.
              request.dnsNames.map((value) => ({
                type: isIP(value) ? ('ip' as const) : ('dns' as const),
                value,
              })),
            ),
          ]
        : []),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.certificate),
    ],
  });
  return {
    certificatePem: certificate.toString('pem') + '\n' + ca.certificatePem,
    keyPem: await exportKeyPem(keys.privateKey),
  };
}

export function firstCertificate(pem: string): string {
  const match = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/.exec(pem);
  if (!match) throw new Error('no PEM certificate found');
  return match[0];
}

/** What Keelson needs to know of a certificate it finds: enough to decide whether to keep it. */
export interface CertificateFacts {
  serial: string;
  notAfterMs: number;
  dnsNames: string[];
  /** Signed by this CA's key. */
  signedBy: (caCertificatePem: string) => boolean;
}

export function certificateFacts(pem: string): CertificateFacts {
  const certificate = new X509Certificate(firstCertificate(pem));
  const dnsNames = (certificate.subjectAltName ?? '')
    .split(', ')
    .filter((entry) => entry.startsWith('DNS:') || entry.startsWith('IP Address:'))
    .map((entry) => entry.replace(/^(DNS|IP Address):/, ''));
  return {
    serial: certificate.serialNumber.toLowerCase(),
    notAfterMs: Date.parse(certificate.validTo),
    dnsNames,
    signedBy: (caPem) => {
      const ca = new X509Certificate(firstCertificate(caPem));
      return certificate.checkIssued(ca) && certificate.verify(ca.publicKey);
    },
  };
}
