// Moving partition leadership out of a set of brokers and back, shared by
// failover drills and real zone failovers. Leadership moves by replica
// order alone (a reassignment to the same replicas in another order moves no
// data) followed by a preferred leader election; the original orders are
// returned so that fail-back can put them back.
import { patched, proxyActivities, sleep } from '@temporalio/workflow';
import type { KafkaAccess } from '../domain/tls.ts';
import type { Activities } from '../activities/index.ts';
import { longWait, quickCall, safetyWait } from './activity-options.ts';
import { leaderEvacuationMoves, ordersApplied } from '../domain/drill.ts';
import type { Moves } from '../domain/reassignment.ts';

const quick = proxyActivities<Activities>(quickCall);
const waits = proxyActivities<Activities>(longWait);
const safety = proxyActivities<Activities>(safetyWait);

/** Asks for new replica orders and waits until Kafka shows them. */
export async function reorderReplicas(bootstrap: KafkaAccess, moves: Moves): Promise<void> {
  if (moves.length === 0) return;
  await quick.startMoves({ bootstrap, moves });
  while (!ordersApplied(moves, (await quick.readAssignment({ bootstrap })).partitions))
    await sleep('1 second', { summary: 'replica orders not applied yet: look again' });
}

/**
 * Puts an in-sync replica outside `brokerIds` first wherever one of them is
 * the preferred leader, and elects preferred leaders until none of them leads
 * such a partition (or attempts run out). Returns the orders it replaced.
 */
export async function evacuateLeaders(bootstrap: KafkaAccess, brokerIds: readonly number[]): Promise<Moves> {
  const before = await quick.readAssignment({ bootstrap });
  const moves = leaderEvacuationMoves(before.partitions, brokerIds);
  const originalOrder = moves.map((m) => ({
    topic: m.topic,
    partition: m.partition,
    replicas:
      before.partitions.find((p) => p.topic === m.topic && p.partition === m.partition)?.replicas ?? [],
  }));
  if (moves.length === 0) return originalOrder;
  await reorderReplicas(bootstrap, moves);
  for (let attempt = 0; ; attempt++) {
    await waits.electPreferredLeaders({ bootstrap, attempts: 1 });
    const now = await quick.readAssignment({ bootstrap });
    const stillLed = now.partitions.filter(
      (p) =>
        brokerIds.includes(p.leader) && moves.some((m) => m.topic === p.topic && m.partition === p.partition),
    );
    if (stillLed.length === 0 || attempt >= 20) break;
    await sleep('2 seconds', {
      summary: `${stillLed.length} partition(s) still led from the zone: elect again`,
    });
  }
  return originalOrder;
}

/** Replica catch-up recorded before awaitReplicasInSync replays with its polling loop. */
export const inSyncWaitInActivityPatch = 'in-sync-wait-in-activity';

/** Waits until every replica on `brokerIds` is back in its partition's ISR. */
export async function waitForReplicasInSync(
  bootstrap: KafkaAccess,
  brokerIds: readonly number[],
  progress: (text: string) => void,
): Promise<void> {
  if (patched(inSyncWaitInActivityPatch)) {
    progress(`waiting for the replicas of nodes ${brokerIds.join(', ')} to be in sync`);
    await safety.awaitReplicasInSync.executeWithOptions(
      { ...safetyWait, summary: `wait for the replicas of nodes ${brokerIds.join(', ')} to be in sync` },
      [{ bootstrap, brokerIds: [...brokerIds] }],
    );
    return;
  }
  for (;;) {
    const { partitions } = await quick.readAssignment({ bootstrap });
    const behind = partitions.filter((p) =>
      p.replicas.some((r) => brokerIds.includes(r) && !p.isr.includes(r)),
    ).length;
    if (behind === 0) return;
    progress(`${behind} partitions catching up`);
    await sleep('2 seconds', { summary: `${behind} partitions catching up` });
  }
}

/** Puts the original replica orders back and elects preferred leaders. */
export async function restoreLeaders(bootstrap: KafkaAccess, originalOrder: Moves): Promise<void> {
  await reorderReplicas(bootstrap, originalOrder);
  await waits.electPreferredLeaders({ bootstrap });
}
