// Preferred leader election after a restart: leadership that moved away
// while a broker was down goes back to each partition's first replica, so
// load returns to how it was placed. Retried for a while when a preferred
// replica is not in sync yet; partitions still not moved are reported, not
// failed on (they are safe, merely unbalanced).
import { heartbeat, sleep } from '@temporalio/activity';
import { electionErrorCodes, electionTypes, electLeadersV2 } from './elect-leaders-api.ts';
import { withConnection } from './connection.ts';
import type { KafkaAccess } from '../../domain/tls.ts';
import type { KafkaClients } from './client-options.ts';

export interface ElectionOutcome {
  elected: number;
  /** Partitions whose preferred replica could not take leadership, with Kafka's reason. */
  notElected: { topic: string; partition: number; reason: string }[];
}

export function leaderActivities(kafka: KafkaClients) {
  return {
    async electPreferredLeaders(input: {
      bootstrap: KafkaAccess;
      attempts?: number;
    }): Promise<ElectionOutcome> {
      const client = await kafka.options(input.bootstrap);
      let elected = 0;
      let notElected: ElectionOutcome['notElected'] = [];
      const attempts = input.attempts ?? 10;
      for (let attempt = 1; attempt <= attempts; attempt++) {
        const response = await withConnection(client, (c) =>
          electLeadersV2.async(c, electionTypes.preferred, null, 30_000),
        );
        if (response.errorCode !== 0) {
          throw new Error(`ElectLeaders failed with error code ${response.errorCode}`);
        }
        elected += response.results.filter((r) => r.errorCode === electionErrorCodes.none).length;
        notElected = response.results
          .filter(
            (r) =>
              r.errorCode !== electionErrorCodes.none && r.errorCode !== electionErrorCodes.electionNotNeeded,
          )
          .map((r) => ({
            topic: r.topic,
            partition: r.partition,
            reason: r.errorMessage ?? `error code ${r.errorCode}`,
          }));
        heartbeat({ attempt, elected, notElected: notElected.length });
        if (notElected.length === 0) break;
        if (attempt < attempts) await sleep(3_000);
      }
      return { elected, notElected };
    },
  };
}
