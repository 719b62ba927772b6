// The per-cluster figures the operator exports, read from a KafkaCluster's
// status as the watcher sees it: what a dashboard shows and an alert fires on
// (not ready, brokers missing, an operation running too long, a failed last
// operation, a backup too old, a failed drill).
import type { KafkaClusterStatus } from '../crd/kafka-cluster-status.ts';

export interface ClusterFigures {
  ready: number;
  degraded: number;
  brokersReady: number | undefined;
  brokersDesired: number | undefined;
  /** The running operation: its type, since when (Unix seconds), and whether it waits on something. */
  operation: { type: string; startedAt: number; blocked: number } | undefined;
  lastOperation:
    { type: string; succeeded: number; finishedAt: number; seconds: number | undefined } | undefined;
  lastBackup: { succeeded: number; finishedAt: number } | undefined;
  lastDrill: { succeeded: number; finishedAt: number } | undefined;
}

const seconds = (at: string | undefined): number | undefined => {
  const ms = at === undefined ? NaN : Date.parse(at);
  return Number.isFinite(ms) ? ms / 1000 : undefined;
};
const isTrue = (status: KafkaClusterStatus, type: string): number =>
  status.conditions?.some((c) => c.type === type && c.status === 'True') ? 1 : 0;

export function clusterFigures(status: KafkaClusterStatus): ClusterFigures {
  const brokers = /^(\d+)\/(\d+)$/.exec(status.brokersReady ?? '');
  const op = status.currentOperation;
  const opStarted = seconds(op?.startedAt);
  const last = status.lastOperation;
  const lastFinished = seconds(last?.finishedAt);
  const lastStarted = seconds(last?.startedAt);
  const backupFinished = seconds(status.lastBackup?.finishedAt);
  const drillFinished = seconds(status.lastDrill?.finishedAt);
  return {
    ready: isTrue(status, 'Ready'),
    degraded: isTrue(status, 'Degraded'),
    brokersReady: brokers ? Number(brokers[1]) : undefined,
    brokersDesired: brokers ? Number(brokers[2]) : undefined,
    operation:
      op && opStarted !== undefined
        ? { type: op.type, startedAt: opStarted, blocked: op.blockedReason ? 1 : 0 }
        : undefined,
    lastOperation:
      last && lastFinished !== undefined
        ? {
            type: last.type,
            succeeded: last.result === 'Succeeded' ? 1 : 0,
            finishedAt: lastFinished,
            seconds: lastStarted !== undefined ? Math.max(0, lastFinished - lastStarted) : undefined,
          }
        : undefined,
    lastBackup:
      status.lastBackup && backupFinished !== undefined
        ? { succeeded: status.lastBackup.outcome === 'Succeeded' ? 1 : 0, finishedAt: backupFinished }
        : undefined,
    lastDrill:
      status.lastDrill && drillFinished !== undefined
        ? { succeeded: status.lastDrill.outcome === 'Succeeded' ? 1 : 0, finishedAt: drillFinished }
        : undefined,
  };
}
