// Each operation of the cluster workflow is a child workflow: this is the
// typed dispatch from an operation to its workflow and input, and from the
// child's own result to what the cluster workflow reads of it.
import { startChild, type ChildWorkflowHandle, type Workflow } from '@temporalio/workflow';
import type { KafkaClusterSpec } from '../crd/kafka-cluster.ts';
import type { AnyOperation } from '../domain/cluster-operations.ts';
import type { ClusterRef } from '../domain/labels.ts';
import type { KafkaNode } from '../domain/nodes.ts';
import type { ObservedNode } from '../domain/observed.ts';
import type { Moves } from '../domain/reassignment.ts';
import { configureWorkflow } from './configure.ts';
import { drillWorkflow, type DrillReport } from './drill.ts';
import { expandVolumesWorkflow } from './expand-volumes.ts';
import { metadataVersionWorkflow } from './metadata-version.ts';
import { provisionWorkflow } from './provision.ts';
import { repairWorkflow } from './repair.ts';
import { rollWorkflow } from './roll.ts';
import { scaleDownWorkflow, scaleUpWorkflow } from './scale.ts';
import { zoneFailoverWorkflow } from './zone-failover.ts';

export interface OperationContext {
  cluster: ClusterRef;
  spec: KafkaClusterSpec;
  nodes: KafkaNode[];
  observed: ObservedNode[];
  workflowId: string;
  /** A roll forced by hand: every node restarts, urgently, with the workflow id as restart token. */
  forced: boolean;
}

/** What the cluster workflow reads of a finished operation. */
export interface OperationResult {
  /** Stopped at a safe point for a newer generation (rolls and zone failovers). */
  superseded?: boolean;
  restarted?: string[];
  /** A zone failover's replica orders still to put back. */
  originalOrder?: Moves;
  /** The metadata.version an upgrade raised to. */
  metadataVersion?: string;
  drillReport?: DrillReport;
  message?: string;
}

export interface StartedOperation {
  handle: ChildWorkflowHandle<Workflow>;
  result: () => Promise<OperationResult>;
}

type StartOptions = { workflowId: string; searchAttributes: Record<string, string[]> };

/** Starts the child workflow of `operation`. */
export async function startOperation(
  operation: AnyOperation,
  context: OperationContext,
  options: StartOptions,
): Promise<StartedOperation> {
  const { cluster, spec, nodes } = context;
  const done = async (handle: ChildWorkflowHandle<Workflow>): Promise<StartedOperation> => ({
    handle,
    result: async () => {
      await handle.result();
      return {};
    },
  });
  switch (operation.type) {
    case 'provision':
      return done(await startChild(provisionWorkflow, { ...options, args: [{ cluster, spec, nodes }] }));
    case 'roll': {
      const handle = await startChild(rollWorkflow, {
        ...options,
        args: [
          {
            cluster,
            spec,
            nodes,
            pods: operation.nodes,
            reason: operation.reason,
            ...(context.forced ? { restartToken: context.workflowId, urgent: true } : {}),
          },
        ],
      });
      return { handle, result: async () => await handle.result() };
    }
    case 'configure':
      return done(
        await startChild(configureWorkflow, {
          ...options,
          args: [{ cluster, spec, nodes, set: operation.set, remove: operation.remove }],
        }),
      );
    case 'upgrade': {
      const handle = await startChild(metadataVersionWorkflow, {
        ...options,
        args: [{ cluster, spec, to: operation.to }],
      });
      return { handle, result: async () => ({ metadataVersion: (await handle.result()).to }) };
    }
    case 'failover': {
      const handle = await startChild(zoneFailoverWorkflow, {
        ...options,
        args: [
          {
            cluster,
            spec,
            zone: operation.zone,
            ...(operation.originalOrder ? { originalOrder: operation.originalOrder } : {}),
          },
        ],
      });
      return { handle, result: async () => await handle.result() };
    }
    case 'drill': {
      const handle = await startChild(drillWorkflow, {
        ...options,
        args: [{ cluster, spec, nodes, zone: operation.zone, holdMs: operation.holdMs }],
      });
      return {
        handle,
        result: async () => {
          const report = await handle.result();
          return { drillReport: report, ...(report.message ? { message: report.message } : {}) };
        },
      };
    }
    case 'scale-up':
      return done(
        await startChild(scaleUpWorkflow, {
          ...options,
          args: [{ cluster, spec, nodes, added: operation.nodes }],
        }),
      );
    case 'scale-down':
      return done(
        await startChild(scaleDownWorkflow, {
          ...options,
          args: [
            {
              cluster,
              spec,
              nodes,
              leaving: context.observed.filter((n) => operation.nodes.includes(n.podName)),
            },
          ],
        }),
      );
    case 'repair':
      return done(
        await startChild(repairWorkflow, {
          ...options,
          args: [{ cluster, spec, nodes, pods: operation.pods, claims: operation.claims }],
        }),
      );
    case 'expand':
      return done(
        await startChild(expandVolumesWorkflow, {
          ...options,
          args: [
            {
              cluster,
              spec,
              nodes,
              growing: context.observed.filter((n) => operation.nodes.includes(n.podName)),
            },
          ],
        }),
      );
  }
}
