// The operator-wide limit on how many clusters roll at once, so that an
// operator upgrade that changes every cluster's pods does not restart brokers
// everywhere together. One long-lived workflow per task queue hands out
// permits first come, first served; rolls ask through an activity (signal
// with start) and wait for the grant signal. A holder that ends without
// releasing (terminated, failed) is found by a periodic check signal that
// can no longer be delivered, and its permit is handed on.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  permitCheckSignal,
  releaseRollPermitSignal,
  requestRollPermitSignal,
  rollPermitGrantedSignal,
  rollPermitsQuery,
} from './messages.ts';
import { payloads, validSignal } from './message-payloads.ts';

export interface RollPermitsInput {
  limit: number;
  holders?: string[];
  waiting?: string[];
}

const holderCheckInterval = '30 seconds';

export async function rollPermitsWorkflow(input: RollPermitsInput): Promise<void> {
  let limit = Math.max(1, input.limit);
  const holders = new Set(input.holders ?? []);
  const waiting: string[] = [...(input.waiting ?? [])];
  const granted = new Set<string>(); // holders told about their grant in this run

  setHandler(requestRollPermitSignal, (payload) => {
    const request = validSignal(payloads.requestRollPermit, 'requestRollPermit', payload);
    if (!request) return;
    const { holder } = request;
    limit = request.limit;
    if (holders.has(holder))
      granted.delete(holder); // asked again after a restart: tell it again
    else if (!waiting.includes(holder)) waiting.push(holder);
  });
  setHandler(releaseRollPermitSignal, (payload) => {
    const holder = validSignal(payloads.releaseRollPermit, 'releaseRollPermit', payload)?.holder;
    if (holder === undefined) return;
    holders.delete(holder);
    granted.delete(holder);
    const index = waiting.indexOf(holder);
    if (index >= 0) waiting.splice(index, 1);
  });
  setHandler(rollPermitsQuery, () => ({ limit, holders: [...holders], waiting: [...waiting] }));

  const notify = async (holder: string): Promise<boolean> => {
    try {
      await getExternalWorkflowHandle(holder).signal(rollPermitGrantedSignal);
      return true;
    } catch {
      return false; // the holder has ended
    }
  };

  for (;;) {
    while (holders.size < limit && waiting.length > 0) {
      holders.add(waiting.shift() as string);
    }
    for (const holder of [...holders].filter((h) => !granted.has(h))) {
      if (await notify(holder)) granted.add(holder);
      else holders.delete(holder);
    }
    const work = (): boolean =>
      (holders.size < limit && waiting.length > 0) || [...holders].some((h) => !granted.has(h));
    const changed =
      holders.size > 0
        ? await condition(work, holderCheckInterval, { summary: 'check that the permit holders still run' })
        : (await condition(work), true);
    if (!changed) {
      for (const holder of [...holders]) {
        try {
          await getExternalWorkflowHandle(holder).signal(permitCheckSignal);
        } catch {
          holders.delete(holder);
          granted.delete(holder);
        }
      }
    }
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof rollPermitsWorkflow>({ limit, holders: [...holders], waiting });
    }
  }
}
