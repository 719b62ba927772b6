// Kafka checks shared by integration tests: readiness of broker pods and a
// round trip of acknowledged messages through a replicated topic.
import type { CoreV1Api } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { type V1Pod } from '@kubernetes/client-node';
import {
  Admin,
  Consumer,
  MessagesStreamModes,
  Producer,
  ProduceAcks,
  stringDeserializers,
  stringSerializers,
  type ConnectionOptions,
} from '@platformatic/kafka';
import { eventually } from './cluster.ts';

export const isReady = (pod: V1Pod | undefined): boolean =>
  pod?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

export async function readyPods(
  core: CoreV1Api,
  namespace: string,
  count: number,
  timeoutMs = 240_000,
): Promise<V1Pod[]> {
  return eventually(
    `${count} pods in ${namespace} to be Ready`,
    async () => {
      const pods = (await core.listNamespacedPod({ namespace })).items;
      return pods.length === count && pods.every(isReady) ? pods : undefined;
    },
    timeoutMs,
    500,
  );
}

/** Waits until every partition of `topic` has `replicas` in-sync replicas. */
export function fullIsr(
  admin: Admin,
  topic: string,
  partitions: number,
  replicas: number,
  timeoutMs = 120_000,
) {
  return eventually(
    `${topic} to have ${replicas} in-sync replicas on every partition`,
    async () => {
      const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
      const parts = metadata.topics.get(topic)?.partitions ?? [];
      return parts.length === partitions && parts.every((p) => p.isr.length === replicas) ? true : undefined;
    },
    timeoutMs,
    500,
  );
}

/** Creates a topic with 3 partitions replicated 3 times, waits for full ISR and writes `count` acked messages. */
export async function replicatedTopicWithMessages(
  bootstrapBrokers: string[],
  topic: string,
  count: number,
): Promise<void> {
  const admin = new Admin({ clientId: 'keelson-test-admin', bootstrapBrokers });
  try {
    await admin.createTopics({ topics: [topic], partitions: 3, replicas: 3 });
    await fullIsr(admin, topic, 3, 3);
  } finally {
    await admin.close();
  }
  await produce(bootstrapBrokers, topic, count);
}

// acks goes on every send: this client takes it from the send options only and
// defaults to acks=1 there, whatever the producer was constructed with.
export async function produce(bootstrapBrokers: string[], topic: string, count: number): Promise<void> {
  const producer = new Producer({
    clientId: 'keelson-test-producer',
    bootstrapBrokers,
    serializers: stringSerializers,
    acks: ProduceAcks.ALL,
  });
  try {
    for (let batch = 0; batch < count; batch += 100) {
      const size = Math.min(100, count - batch);
      await producer.send({
        acks: ProduceAcks.ALL,
        messages: Array.from({ length: size }, (_, i) => ({
          topic,
          key: String(batch + i),
          value: `message-${batch + i}`,
        })),
      });
    }
  } finally {
    await producer.close();
  }
}

/** A client's TLS and SASL settings, for a secured cluster. */
export type ClientSecurity = Pick<ConnectionOptions, 'tls' | 'sasl'>;

/**
 * Consumes `topic` from the start until `count` distinct keys arrived; returns
 * them. Each attempt is a fresh consumer group reading from the earliest
 * offset; a consumer that stalls (seen with this client on a partition whose
 * leader just moved) is replaced, up to three times. Keys seen by any attempt
 * count: a message that was lost would be missing from every one of them.
 */
export async function consumeKeys(
  bootstrapBrokers: string[],
  topic: string,
  count: number,
  /** TLS and SASL settings, for a secured cluster. */
  security: ClientSecurity = {},
): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let attempt = 1; attempt <= 3 && seen.size < count; attempt++) {
    const consumer = new Consumer({
      clientId: 'keelson-test-consumer',
      groupId: `verify-${topic}-${Date.now()}-${attempt}`,
      bootstrapBrokers,
      deserializers: stringDeserializers,
      ...security,
    });
    try {
      const stream = await consumer.consume({
        topics: [topic],
        mode: MessagesStreamModes.EARLIEST,
        autocommit: false,
      });
      const stall = setTimeout(() => stream.destroy(), 30_000);
      try {
        for await (const message of stream) {
          if (message.value !== `message-${message.key}`) throw new Error(`corrupt message ${message.key}`);
          seen.add(message.key);
          if (seen.size === count) break;
        }
      } catch (err) {
        if (!stream.destroyed) throw err;
      } finally {
        clearTimeout(stall);
      }
    } finally {
      await consumer.close(true);
    }
  }
  if (seen.size < count)
    throw Object.assign(new Error(`consumed only ${seen.size} of ${count} distinct messages in 3 attempts`), {
      seen,
    });
  return seen;
}

/**
 * A producer that keeps sending acks=all messages, one at a time, until
 * stopped: what an application does while the operator works on its cluster.
 * Retries stand for a production client's delivery timeout (about two
 * minutes); a send that still fails counts as failed. Keys start at `firstKey`.
 */
export function startSteadyProducer(
  bootstrapBrokers: string[],
  topic: string,
  firstKey: number,
  security: ClientSecurity = {},
): {
  /** How many sends were acknowledged so far. */
  acknowledged: () => number;
  stop: () => Promise<{
    acked: string[];
    failed: { key: string; error: string }[];
    /** Where the broker said each acknowledged message went. */
    placed: Map<string, { partition: number; offset: bigint }>;
  }>;
} {
  const producer = new Producer({
    clientId: 'keelson-test-steady-producer',
    bootstrapBrokers,
    serializers: stringSerializers,
    acks: ProduceAcks.ALL,
    retries: 60,
    retryDelay: 2_000,
    ...security,
  });
  const acked: string[] = [];
  const failed: { key: string; error: string }[] = [];
  const placed = new Map<string, { partition: number; offset: bigint }>();
  let running = true;
  const loop = (async () => {
    for (let n = firstKey; running; n++) {
      const key = String(n);
      try {
        const result = await producer.send({
          acks: ProduceAcks.ALL,
          messages: [{ topic, key, value: `message-${key}` }],
        });
        acked.push(key);
        const where = result.offsets?.[0];
        if (where) placed.set(key, { partition: where.partition, offset: BigInt(where.offset) });
      } catch (err) {
        failed.push({ key, error: String(err) });
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return {
    acknowledged: () => acked.length,
    async stop() {
      running = false;
      await loop;
      await producer.close();
      return { acked, failed, placed };
    },
  };
}

/**
 * Stops a steady producer and checks what an application relies on: no send
 * failed, enough records were acknowledged meanwhile, and every acknowledged
 * record is read back.
 */
export async function expectNothingLost(
  producer: ReturnType<typeof startSteadyProducer>,
  bootstrapBrokers: string[],
  topic: string,
  security: ClientSecurity = {},
  /** How many records must have been acknowledged meanwhile. */
  atLeast = 100,
): Promise<void> {
  const { acked, failed } = await producer.stop();
  assert.deepEqual(failed, [], 'no send failed');
  assert.ok(acked.length >= atLeast, `${acked.length} records acknowledged meanwhile`);
  const consumed = await consumeKeys(bootstrapBrokers, topic, acked.length, security);
  assert.deepEqual(
    acked.filter((key) => !consumed.has(key)),
    [],
    'every acknowledged record consumed',
  );
}

/** The key of the message at each of `positions` (undefined where there is none), read with explicit offsets. */
export async function keysAt(
  bootstrapBrokers: string[],
  topic: string,
  positions: { partition: number; offset: bigint }[],
): Promise<(string | undefined)[]> {
  const found: (string | undefined)[] = [];
  for (const { partition, offset } of positions) {
    const consumer = new Consumer({
      clientId: 'keelson-test-reader',
      groupId: `read-at-${Date.now()}`,
      bootstrapBrokers,
      deserializers: stringDeserializers,
    });
    try {
      const stream = await consumer.consume({
        topics: [topic],
        mode: MessagesStreamModes.MANUAL,
        offsets: [{ topic, partition, offset }],
        autocommit: false,
      });
      const timer = setTimeout(() => stream.destroy(), 10_000);
      let key: string | undefined;
      try {
        for await (const message of stream) {
          if (message.partition === partition && message.offset === offset) {
            key = message.key;
            break;
          }
        }
      } catch {
        // timed out: nothing there
      } finally {
        clearTimeout(timer);
      }
      found.push(key);
    } finally {
      await consumer.close(true);
    }
  }
  return found;
}

export interface ConsumedRecord {
  offset: bigint;
  timestamp: string;
  key: string | null;
  value: string | null;
  headers: [string, string][];
}

/**
 * Reads every record of `topic` (expecting `count`) with a consumer of a
 * fresh group, as an application would see them: per partition, in offset
 * order, binary fields in base64.
 */
export async function readTopic(
  bootstrapBrokers: string[],
  topic: string,
  count: number,
): Promise<Map<number, ConsumedRecord[]>> {
  const consumer = new Consumer({
    clientId: 'keelson-test-reader',
    groupId: `read-${topic}-${Date.now()}`,
    bootstrapBrokers,
  });
  const partitions = new Map<number, ConsumedRecord[]>();
  let seen = 0;
  try {
    if (count === 0) return partitions;
    const stream = await consumer.consume({
      topics: [topic],
      mode: MessagesStreamModes.EARLIEST,
      autocommit: false,
    });
    const stall = setTimeout(
      () => stream.destroy(new Error(`read only ${seen} of ${count} records of ${topic}`)),
      60_000,
    );
    try {
      for await (const message of stream) {
        const list = partitions.get(message.partition) ?? [];
        list.push({
          offset: message.offset,
          timestamp: message.timestamp.toString(),
          key: message.key?.length ? message.key.toString('base64') : null,
          value: message.value?.length ? message.value.toString('base64') : null,
          headers: [...message.headers].map(([k, v]) => [k.toString('base64'), v.toString('base64')]),
        });
        partitions.set(message.partition, list);
        if (++seen === count) break;
      }
    } finally {
      clearTimeout(stall);
    }
  } finally {
    await consumer.close(true);
  }
  for (const list of partitions.values()) list.sort((a, b) => (a.offset < b.offset ? -1 : 1));
  return partitions;
}
