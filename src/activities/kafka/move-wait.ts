// Following a reassignment until it is done, and replicas until they are back
// in sync, each in one heartbeated activity: a drain of a terabyte at a
// 50 MiB/s throttle takes hours, and so may a zone's catch-up after a long
// outage; polled from the workflow (a timer and a call every few seconds)
// they would carry its history past Temporal's limit. The heartbeat details
// (and, for moves, status) say how far it got.
import type { KafkaAccess } from '../../domain/tls.ts';
import { Context } from '@temporalio/activity';
import { whileHeartbeating } from '../heartbeats.ts';
import type { Moves } from '../../domain/reassignment.ts';
import type { clusterActivities } from '../kubernetes/cluster.ts';
import type { reassignmentActivities, replicaMoveActivities } from './reassignment.ts';

/** What the activities use: the existing assignment, progress and status activities. */
export type MoveWaitDeps = Pick<ReturnType<typeof reassignmentActivities>, 'readAssignment'> &
  Pick<ReturnType<typeof replicaMoveActivities>, 'moveProgress'> &
  Pick<ReturnType<typeof clusterActivities>, 'patchStatus'> & {
    /** Waits between two looks (cancellable); tests pass a shorter one. @default the activity context's sleep */
    sleep?: (ms: number) => Promise<void>;
  };

const pollMs = 3_000;
const inSyncPollMs = 2_000;

export function moveWaitActivities(deps: MoveWaitDeps) {
  const sleep = deps.sleep ?? ((ms: number) => Context.current().sleep(ms));
  return {
    /** Returns once every move reached its target replicas, all in sync, and Kafka lists none in flight. */
    async awaitMoves(input: {
      bootstrap: KafkaAccess;
      moves: Moves;
      /** The cluster whose status.currentOperation shows the progress, and what the moves are for. */
      progress: { namespace: string; name: string; what: string };
    }): Promise<{ done: number; total: number }> {
      let reported = '';
      let progress = { done: 0, total: input.moves.length, inFlight: 0 };
      return whileHeartbeating(
        () => progress,
        async () => {
          for (;;) {
            progress = await deps.moveProgress({ bootstrap: input.bootstrap, moves: input.moves });
            const step = `${input.progress.what}: ${progress.done} of ${progress.total} partitions moved`;
            if (step !== reported) {
              reported = step;
              await deps.patchStatus({
                namespace: input.progress.namespace,
                name: input.progress.name,
                status: {},
                progress: { step },
              });
            }
            if (progress.done === progress.total && progress.inFlight === 0) {
              return { done: progress.done, total: progress.total };
            }
            await sleep(pollMs);
          }
        },
      );
    },

    /** Returns once every replica on `brokerIds` is back in its partition's ISR. */
    async awaitReplicasInSync(input: { bootstrap: KafkaAccess; brokerIds: number[] }): Promise<void> {
      let behind: number | undefined;
      await whileHeartbeating(
        () => ({ partitionsCatchingUp: behind }),
        async () => {
          for (;;) {
            const { partitions } = await deps.readAssignment({ bootstrap: input.bootstrap });
            behind = partitions.filter((p) =>
              p.replicas.some((r) => input.brokerIds.includes(r) && !p.isr.includes(r)),
            ).length;
            if (behind === 0) return;
            await sleep(inSyncPollMs);
          }
        },
      );
    },
  };
}
