// Asking the operator-wide roll permits workflow for a permit, on behalf of
// a roll workflow (workflows cannot signal-with-start). The permits workflow
// lives on the task queue of the asking worker, so one operator deployment
// (one task queue) shares one limit.
import { Context } from '@temporalio/activity';
import { rollPermitsWorkflowId, signalNames } from '../../domain/workflow-ids.ts';

export function rollPermitActivities(config: { maxConcurrentRolls: number }) {
  return {
    async requestRollPermit(input: { holder: string }): Promise<{ limit: number }> {
      const context = Context.current();
      const taskQueue = context.info.taskQueue;
      const limit = config.maxConcurrentRolls;
      await context.client.workflow.signalWithStart('rollPermitsWorkflow', {
        workflowId: rollPermitsWorkflowId(taskQueue),
        taskQueue,
        args: [{ limit }],
        signal: signalNames.requestRollPermit,
        signalArgs: [{ holder: input.holder, limit }],
      });
      return { limit };
    },
  };
}
