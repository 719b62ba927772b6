// A Temporal worker running inside the test process, with a client next to
// it: for workflow tests that do not kill their worker.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { env } from './cluster.ts';

export interface InProcessWorker {
  client: Client;
  /** Stops the worker, waits for it, and closes the client connection. */
  close: () => Promise<void>;
}

export async function startInProcessWorker(options: {
  taskQueue: string;
  workflowsPath: string;
  activities: object;
}): Promise<InProcessWorker> {
  const worker = await Worker.create({
    connection: await NativeConnection.connect({ address: env.temporal.address }),
    ...options,
  });
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const done = worker.runUntil(stopped);
  const connection = await Connection.connect({ address: env.temporal.address });
  return {
    client: new Client({ connection, namespace: env.temporal.namespace }),
    async close() {
      stop();
      await done;
      await connection.close();
    },
  };
}
