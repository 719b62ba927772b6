// Heartbeats for activities that wait: sent every 2 s whatever the work in
// between is doing (a probe or a Kafka call while brokers are down can take
// longer than the heartbeat timeout), so a live worker is never taken for a
// dead one, while a dead worker is still noticed within the timeout.
import { heartbeat } from '@temporalio/activity';

const intervalMs = 2_000;

/** Runs `work`, heartbeating `details()` now and every 2 s until it ends. */
export async function whileHeartbeating<T>(details: () => unknown, work: () => Promise<T>): Promise<T> {
  heartbeat(details());
  const timer = setInterval(() => heartbeat(details()), intervalMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
