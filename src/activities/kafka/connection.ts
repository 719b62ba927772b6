// One protocol connection to a Kafka node, for the requests the Admin client
// does not offer (DescribeQuorum, ElectLeaders, ApiVersions features,
// UpdateFeatures). Tries each address in turn, so one node being down
// (the one just restarted) does not fail the call.
import { Connection, metadataV12, type ConnectionOptions } from '@platformatic/kafka';
import type { KafkaClientOptions } from './client-options.ts';

export { clientId } from './client-options.ts';

/** A connection with the client's id and TLS settings. */
export const newConnection = (
  client: KafkaClientOptions,
  options: Partial<ConnectionOptions> = {},
): Connection => new Connection(client.clientId, { ...options, ...(client.tls ? { tls: client.tls } : {}) });

export async function withConnection<T>(
  client: KafkaClientOptions,
  action: (connection: Connection) => Promise<T>,
): Promise<T> {
  let lastError: unknown = new Error('no Kafka address to connect to');
  for (const address of client.bootstrapBrokers) {
    const separator = address.lastIndexOf(':');
    const connection = newConnection(client);
    try {
      await connection.connect(address.slice(0, separator), Number(address.slice(separator + 1)));
    } catch (err) {
      lastError = err;
      await connection.close().catch(() => undefined);
      continue;
    }
    try {
      return await action(connection);
    } finally {
      await connection.close().catch(() => undefined);
    }
  }
  throw lastError;
}

type Metadata = Awaited<ReturnType<typeof metadataV12.api.async>>;

/**
 * Metadata of every topic and the unfenced brokers. A partition with no
 * leader (its only replica restarting, say) is a state to report, not a
 * failed request: the client throws for any partition error, so the
 * response is taken from the error when only partitions have errors.
 */
export async function readMetadata(connection: Connection): Promise<Metadata> {
  try {
    return await metadataV12.api.async(connection, null, false, false);
  } catch (err) {
    const response = (err as { response?: Metadata }).response;
    if (response?.topics?.every((t) => t.errorCode === 0)) return response;
    throw err;
  }
}
