// A live check that a cluster still serves clients: write one message with
// acks=all to a probe topic and read it back, and count partitions without
// a leader. Used while a drill holds a zone down. The probe topic is the
// operator's own, created with replicas in every zone before the drill.
import {
  Admin,
  Consumer,
  MessagesStreamModes,
  Producer,
  ProduceAcks,
  stringDeserializers,
  stringSerializers,
} from '@platformatic/kafka';
import type { KafkaAccess } from '../../domain/tls.ts';
import type { KafkaClients } from './client-options.ts';
import { readPartitions } from './reassignment.ts';

export const probeTopic = '__keelson_probe';

export function probeActivities(kafka: KafkaClients) {
  return {
    /** Creates the probe topic if missing, one partition replicated `replicas` times. */
    async ensureProbeTopic(input: { bootstrap: KafkaAccess; replicas: number }): Promise<void> {
      const admin = new Admin(await kafka.options(input.bootstrap));
      try {
        const topics = await admin.listTopics({ includeInternals: true });
        if (topics.includes(probeTopic)) return;
        await admin.createTopics({ topics: [probeTopic], partitions: 1, replicas: input.replicas });
      } finally {
        await admin.close();
      }
    },

    async probeCluster(input: { bootstrap: KafkaAccess; key: string }): Promise<{
      produced: boolean;
      consumed: boolean;
      offlinePartitions: number;
      error?: string;
    }> {
      const client = await kafka.options(input.bootstrap);
      const { partitions } = await readPartitions(client);
      const offlinePartitions = partitions.filter((p) => p.leader < 0).length;
      const producer = new Producer({
        ...client,
        serializers: stringSerializers,
      });
      let offset: bigint | undefined;
      try {
        // acks on the send itself: the client ignores the constructor's.
        const result = await producer.send({
          acks: ProduceAcks.ALL,
          messages: [{ topic: probeTopic, partition: 0, key: input.key, value: input.key }],
        });
        const written = result.offsets?.[0]?.offset;
        offset = written === undefined ? undefined : BigInt(written);
      } catch (err) {
        return { produced: false, consumed: false, offlinePartitions, error: String(err) };
      } finally {
        await producer.close();
      }
      if (offset === undefined)
        return { produced: false, consumed: false, offlinePartitions, error: 'no offset' };
      const consumer = new Consumer({
        ...client,
        groupId: `keelson-probe-${input.key}`,
        deserializers: stringDeserializers,
      });
      try {
        const stream = await consumer.consume({
          topics: [probeTopic],
          mode: MessagesStreamModes.MANUAL,
          offsets: [{ topic: probeTopic, partition: 0, offset }],
          autocommit: false,
        });
        const timer = setTimeout(() => stream.destroy(), 15_000);
        let consumed = false;
        try {
          for await (const message of stream) {
            if (message.key === input.key) {
              consumed = true;
              break;
            }
          }
        } catch {
          // timed out
        } finally {
          clearTimeout(timer);
        }
        return { produced: true, consumed, offlinePartitions };
      } finally {
        await consumer.close(true);
      }
    },
  };
}
