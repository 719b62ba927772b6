// Moving replicas for scale-up and scale-down: throttle, start, follow the
// progress on a durable timer (reported in the UI and in status), and clear
// the throttle whatever happens. Started again after a worker restart, the
// same moves are simply asked for again, which Kafka treats as no change.
import { CancellationScope, proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { quickCall } from './activity-options.ts';
import type { Moves } from '../domain/reassignment.ts';

const kafka = proxyActivities<Activities>(quickCall);

export async function moveReplicas(input: {
  bootstrap: string[];
  moves: Moves;
  bytesPerSecond: number;
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
