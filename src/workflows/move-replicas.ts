// Moving replicas for scale-up and scale-down: throttle, start, follow the
// progress inside one heartbeated activity (reported in the UI and in status), and clear
// the throttle whatever happens. Started again after a worker restart, the
// same moves are simply asked for again, which Kafka treats as no change.
import { CancellationScope, patched, proxyActivities, sleep } from '@temporalio/workflow';
import type { KafkaAccess } from '../domain/tls.ts';
import type { Activities } from '../activities/index.ts';
import { quickCall, safetyWait } from './activity-options.ts';
import type { Moves } from '../domain/reassignment.ts';

const kafka = proxyActivities<Activities>(quickCall);
const safety = proxyActivities<Activities>(safetyWait);

/** Moves recorded before awaitMoves replay with their polling loop. */
export const movesWaitInActivityPatch = 'moves-wait-in-activity';

export async function moveReplicas(input: {
  bootstrap: KafkaAccess;
  moves: Moves;
  bytesPerSecond: number;
  /** Where progress is reported: the cluster's status, under this heading. */
  progress: { namespace: string; name: string; what: string };
  /** Progress for moves recorded before awaitMoves (reported by the workflow). */
  report: (done: number, total: number) => Promise<void>;
}): Promise<void> {
  const { bootstrap, moves } = input;
  if (moves.length === 0) return;
  const { partitions } = await kafka.readAssignment({ bootstrap });
  const involved = new Set<number>();
  for (const m of moves) {
    const before = partitions.find((p) => p.topic === m.topic && p.partition === m.partition)?.replicas ?? [];
    for (const id of [...before, ...m.replicas]) involved.add(id);
  }
  await kafka.throttleMoves({ bootstrap, moves, bytesPerSecond: input.bytesPerSecond });
  try {
    await kafka.startMoves({ bootstrap, moves });
    if (patched(movesWaitInActivityPatch)) {
      await safety.awaitMoves.executeWithOptions(
        { ...safetyWait, summary: `${input.progress.what}: wait for ${moves.length} partition move(s)` },
        [{ bootstrap, moves, progress: input.progress }],
      );
      return;
    }
    for (;;) {
      const progress = await kafka.moveProgress({ bootstrap, moves });
      await input.report(progress.done, progress.total);
      if (progress.done === progress.total && progress.inFlight === 0) return;
      await sleep('3 seconds');
    }
  } finally {
    await CancellationScope.nonCancellable(() =>
      kafka.clearThrottle({
        bootstrap,
        brokers: [...involved],
        topics: [...new Set(moves.map((m) => m.topic))],
      }),
    );
  }
}
