// Certificates and keys for the local API server, made with openssl at every
// `up`: a CA, the API server's serving certificate (valid for 127.0.0.1 and
// the in-cluster names), an admin client certificate in system:masters, and
// the key pair that signs ServiceAccount tokens.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pkiDir } from './paths.ts';

export const pki = {
  caCert: join(pkiDir, 'ca.crt'),
  caKey: join(pkiDir, 'ca.key'),
  serverCert: join(pkiDir, 'apiserver.crt'),
  serverKey: join(pkiDir, 'apiserver.key'),
  adminCert: join(pkiDir, 'admin.crt'),
  adminKey: join(pkiDir, 'admin.key'),
  serviceAccountKey: join(pkiDir, 'sa.key'),
  serviceAccountPub: join(pkiDir, 'sa.pub'),
};

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function signedCert(name: string, subject: string, extensions: string, cert: string, key: string): void {
  const csr = join(pkiDir, `${name}.csr`);
  const ext = join(pkiDir, `${name}.ext`);
  writeFileSync(ext, extensions);
  openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', subject);
  openssl(
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    pki.caCert,
    '-CAkey',
    pki.caKey,
    '-CAcreateserial',
    '-days',
    '365',
    '-out',
    cert,
    '-extfile',
    ext,
  );
}

export function createPki(): void {
  mkdirSync(pkiDir, { recursive: true });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '365',
    '-keyout',
    pki.caKey,
    '-out',
    pki.caCert,
    '-subj',
    '/CN=keelson-testenv-ca',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  signedCert(
    'apiserver',
    '/CN=kube-apiserver',
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,' +
        'DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local',
    ].join('\n'),
    pki.serverCert,
    pki.serverKey,
  );
  signedCert(
    'admin',
    '/O=system:masters/CN=keelson-testenv-admin',
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=clientAuth',
    ].join('\n'),
    pki.adminCert,
    pki.adminKey,
  );
  openssl('genrsa', '-out', pki.serviceAccountKey, '2048');
  openssl('rsa', '-in', pki.serviceAccountKey, '-pubout', '-out', pki.serviceAccountPub);
}
