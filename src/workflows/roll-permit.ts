// The roll side of the operator-wide roll limit: ask the permits workflow for
// a permit, wait for the grant, and hand the permit back. Used from within a
// roll workflow (or any workflow that restarts brokers).
import {
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { quickCall } from './activity-options.ts';
import {
  permitCheckSignal,
  releaseRollPermitSignal,
  rollPermitGrantedSignal,
  rollPermitsWorkflowId,
} from './messages.ts';

const activities = proxyActivities<Activities>(quickCall);

export interface RollPermit {
  /** Waits for the grant, or until `giveUp` returns true; resolves whether the permit was granted. */
  acquire(onWait: (limit: number) => Promise<void>, giveUp?: () => boolean): Promise<boolean>;
  release(): Promise<void>;
}

/** Must be called before the workflow's first await, so the grant signal has its handler. */
export function rollPermit(): RollPermit {
  let granted = false;
  setHandler(rollPermitGrantedSignal, () => void (granted = true));
  setHandler(permitCheckSignal, () => undefined);
  const { workflowId, taskQueue } = workflowInfo();
  return {
    async acquire(onWait, giveUp = () => false) {
      const { limit } = await activities.requestRollPermit({ holder: workflowId });
      if (!granted) {
        await onWait(limit);
        await condition(() => granted || giveUp());
      }
      return granted;
    },
    async release() {
      await CancellationScope.nonCancellable(() =>
        getExternalWorkflowHandle(rollPermitsWorkflowId(taskQueue))
          .signal(releaseRollPermitSignal, { holder: workflowId })
          .catch(() => undefined),
      );
    },
  };
}
