// How every Keelson process and CLI command reaches the Temporal frontend:
// its address, TLS (a CA to trust, a client certificate for mTLS, the server
// name to verify) and an API key (Temporal Cloud). The files are read here,
// when connecting; an API key turns TLS on, as Temporal asks.
import { readFileSync } from 'node:fs';

export interface TemporalTlsFiles {
  cert?: string | undefined;
  key?: string | undefined;
  ca?: string | undefined;
  serverName?: string | undefined;
}

export interface TemporalAccess {
  address: string;
  tls?: TemporalTlsFiles | undefined;
  apiKey?: string | undefined;
}

export interface TemporalConnectionOptions {
  address: string;
  tls?:
    | {
        serverNameOverride?: string;
        serverRootCACertificate?: Buffer;
        clientCertPair?: { crt: Buffer; key: Buffer };
      }
    | true;
  apiKey?: string;
}

export function temporalConnectionOptions(access: TemporalAccess): TemporalConnectionOptions {
  const read = (file: string | undefined) => (file ? readFileSync(file) : undefined);
  const files = access.tls;
  const cert = read(files?.cert);
  const key = read(files?.key);
  const ca = read(files?.ca);
  const tls =
    files && Object.values(files).some(Boolean)
      ? {
          ...(files.serverName ? { serverNameOverride: files.serverName } : {}),
          ...(ca ? { serverRootCACertificate: ca } : {}),
          ...(cert && key ? { clientCertPair: { crt: cert, key } } : {}),
        }
      : undefined;
  return {
    address: access.address,
    ...(tls ? { tls } : access.apiKey ? { tls: true as const } : {}),
    ...(access.apiKey ? { apiKey: access.apiKey } : {}),
  };
}

/** The API key from the environment or a file (a file keeps it out of the process list). */
export function temporalApiKey(file: string | undefined, fromEnv: string | undefined): string | undefined {
  if (file) return readFileSync(file, 'utf8').trim();
  return fromEnv || undefined;
}
