// Runs a long wait (an activity that heartbeats) that something the workflow
// learns meanwhile (a newer spec, an abort) may cut short.
import { CancellationScope, condition, isCancellation } from '@temporalio/workflow';

/**
 * Resolves with the wait's result, or undefined when `stop` became true
 * before it finished (the wait is cancelled; its activity sees that at its
 * next heartbeat).
 */
export async function cancelledWhen<T>(stop: () => boolean, wait: () => Promise<T>): Promise<T | undefined> {
  if (stop()) return undefined;
  const scope = new CancellationScope();
  let settled = false;
  void condition(() => settled || stop()).then(() => {
    if (!settled) scope.cancel();
  });
  try {
    return await scope.run(wait);
  } catch (err) {
    if (stop() && isCancellation(err)) return undefined;
    throw err;
  } finally {
    settled = true;
  }
}
