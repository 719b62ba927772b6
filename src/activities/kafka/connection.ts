// One protocol connection to a Kafka node, for the requests the Admin client
// does not offer (DescribeQuorum, ElectLeaders, ApiVersions features,
// UpdateFeatures). Tries each address in turn, so one node being down
// (the one just restarted) does not fail the call.
import { Connection } from '@platformatic/kafka';

export const clientId = 'keelson-operator';

export async function withConnection<T>(
  addresses: readonly string[],
  action: (connection: Connection) => Promise<T>,
): Promise<T> {
  let lastError: unknown = new Error('no Kafka address to connect to');
  for (const address of addresses) {
    const separator = address.lastIndexOf(':');
    const connection = new Connection(clientId);
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
