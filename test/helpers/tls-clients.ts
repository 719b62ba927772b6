// Kafka clients of a secured test cluster, from the host: TLS options built
// from the cluster's Secrets, and name resolution of the pods' DNS names
// (which TLS listeners advertise) to their pod IPs, as cluster DNS would.
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { Admin, Producer, stringSerializers, type ConnectionOptions } from '@platformatic/kafka';
import type { LookupFunction } from 'node:net';
import { issue, loadCa } from '../../src/activities/tls/pki.ts';
import { names } from '../../src/domain/names.ts';
import { clusterName } from './managed-cluster.ts';

type TlsOptions = NonNullable<ConnectionOptions['tls']>;

export async function secretFile(
  core: CoreV1Api,
  namespace: string,
  name: string,
  key: string,
): Promise<string> {
  const secret = await core.readNamespacedSecret({ name, namespace });
  const value = secret.data?.[key];
  if (value === undefined) throw new Error(`Secret ${namespace}/${name} has no ${key}`);
  return Buffer.from(value, 'base64').toString('utf8');
}

/** A client certificate of the test cluster's clients CA as it is now, as a KafkaUser with mtls gets one. */
export async function clientsCaCertificate(
  core: CoreV1Api,
  namespace: string,
  user: string,
): Promise<{ cert: string; key: string }> {
  const caSecret = names.clientsCa(clusterName);
  const ca = await loadCa(
    await secretFile(core, namespace, caSecret, 'ca.crt'),
    await secretFile(core, namespace, caSecret, 'ca.key'),
  );
  const pair = await issue(ca, { commonName: user, dnsNames: [], usage: 'client', validityDays: 1 });
  return { cert: pair.certificatePem, key: pair.keyPem };
}

/** Resolves `<pod>.<subdomain>.<namespace>.svc.cluster.local` to the pod's IP. */
export function podLookup(pods: readonly V1Pod[]): LookupFunction {
  const addresses = new Map<string, string>();
  for (const pod of pods) {
    const { hostname, subdomain } = pod.spec ?? {};
    if (hostname && subdomain && pod.status?.podIP)
      addresses.set(
        `${hostname}.${subdomain}.${pod.metadata?.namespace}.svc.cluster.local`,
        pod.status.podIP,
      );
  }
  return ((hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    const address = addresses.get(hostname) ?? (/^[0-9.]+$/.test(hostname) ? hostname : undefined);
    if (address === undefined)
      return callback(Object.assign(new Error(`unknown host ${hostname}`), { code: 'ENOTFOUND' }));
    if (options.all) return callback(null, [{ address, family: 4 }]);
    return callback(null, address, 4);
  }) as LookupFunction;
}

/**
 * What a client with these options gets from the cluster: 'connected' when
 * it listed topics, or the error it met. Fails fast: no retries, short timeouts.
 */
export async function tryAdmin(
  bootstrap: string,
  options: { tls?: TlsOptions; sasl?: ConnectionOptions['sasl'] },
  action: (admin: Admin) => Promise<unknown> = (admin) => admin.listTopics(),
): Promise<string> {
  const admin = new Admin({
    clientId: 'keelson-test',
    bootstrapBrokers: [bootstrap],
    retries: 0,
    connectTimeout: 5_000,
    requestTimeout: 10_000,
    ...options,
  });
  const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('timed out'), 20_000).unref());
  try {
    return await Promise.race([
      action(admin).then(
        () => 'connected',
        (err: unknown) => describeError(err),
      ),
      timeout,
    ]);
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/** What a producer with these options gets when it sends one record to `topic`: 'connected' or the error. */
export async function tryProduce(
  bootstrap: string,
  options: { tls?: TlsOptions; sasl?: ConnectionOptions['sasl'] },
  topic: string,
): Promise<string> {
  const producer = new Producer({
    clientId: 'keelson-test',
    bootstrapBrokers: [bootstrap],
    retries: 0,
    connectTimeout: 5_000,
    requestTimeout: 10_000,
    serializers: stringSerializers,
    ...options,
  });
  const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('timed out'), 20_000).unref());
  try {
    return await Promise.race([
      producer.send({ messages: [{ topic, key: 'k', value: 'v' }] }).then(
        () => 'connected',
        (err: unknown) => describeError(err),
      ),
      timeout,
    ]);
  } finally {
    await producer.close().catch(() => undefined);
  }
}

/** The messages of an error, its causes and the errors it gathers (the client's MultipleErrors). */
function describeError(err: unknown): string {
  const parts: string[] = [];
  const visit = (e: unknown, depth: number): void => {
    if (!(e instanceof Error) || depth > 6) return;
    parts.push(e.message);
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors)) for (const inner of errors) visit(inner, depth + 1);
    visit(e.cause, depth + 1);
  };
  visit(err, 0);
  return parts.join(': ') || String(err);
}
