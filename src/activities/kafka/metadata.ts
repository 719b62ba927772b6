// Kafka-side checks through the Admin API: which brokers are registered with
// the cluster. Waits heartbeat on every poll.
import { Admin } from '@platformatic/kafka';
import { heartbeat, sleep } from '@temporalio/activity';
import type { KafkaAccess } from '../../domain/tls.ts';
import type { KafkaClients } from './client-options.ts';

export function metadataActivities(kafka: KafkaClients) {
  return {
    /** Waits until every expected broker id is registered in the cluster metadata. */
    async waitForBrokersRegistered(input: {
      bootstrap: KafkaAccess;
      brokerIds: number[];
    }): Promise<number[]> {
      const admin = new Admin(await kafka.options(input.bootstrap));
      try {
        for (;;) {
          const registered = await admin
            .metadata({ forceUpdate: true })
            .then((m) => [...m.brokers.keys()].sort((a, b) => a - b))
            .catch(() => [] as number[]);
          heartbeat({ registered });
          if (input.brokerIds.every((id) => registered.includes(id))) return registered;
          await sleep(1_000);
        }
      } finally {
        await admin.close();
      }
    },
  };
}
