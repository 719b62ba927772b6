// Tearing down a deleted KafkaCluster: the cluster workflow's last step for
// an incarnation (uid). Deletion overrides everything else, pause included;
// the teardown finalizer holds the object until this ends.
import { executeChild, patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { conditionsWhileTearingDown } from '../domain/cluster-conditions.ts';
import { teardownWorkflowId } from '../domain/cluster-operations.ts';
import type { ClusterRef } from '../domain/labels.ts';
import { quickCall } from './activity-options.ts';
import { backupPatch, type ClusterKey, type SearchAttributes, type Snapshot } from './cluster-pass.ts';
import type { ClusterState } from './cluster-state.ts';
import { searchAttributes } from './search-attributes.ts';
import { specCheckOf } from './spec-check.ts';
import { teardownWorkflow } from './teardown.ts';

const quick = proxyActivities<Activities>(quickCall);

export async function tearDown(
  state: ClusterState,
  key: ClusterKey,
  snapshot: Snapshot,
  clusterAttributes: SearchAttributes,
): Promise<void> {
  const cluster: ClusterRef = { ...key, uid: state.uid };
  const workflowId = teardownWorkflowId(key.namespace, key.name, state.uid);
  state.operation = { type: 'teardown', step: 'running', workflowId };
  await quick.patchStatus({
    ...key,
    status: {
      currentOperation: {
        type: 'teardown',
        workflowId,
        step: 'teardown',
        startedAt: new Date().toISOString(),
      },
      conditions: conditionsWhileTearingDown(workflowId, snapshot.generation, new Date()),
    },
  });
  // Backups already taken stay in the store; only the schedules go.
  if (patched(backupPatch) && state.backupSchedule !== 'none') {
    await quick.syncBackupSchedule({ ...key, backup: undefined });
  }
  const checked = await specCheckOf(snapshot);
  await executeChild(teardownWorkflow, {
    workflowId,
    args: [{ cluster, spec: 'spec' in checked ? checked.spec : undefined }],
    searchAttributes: { ...clusterAttributes, [searchAttributes.operation.name]: ['teardown'] },
  });
  await quick.removeTeardownFinalizer({ ...key, uid: state.uid });
}
