// Which operation the cluster workflow runs next, what it is called and how
// its child workflow is named: pure decisions, so the workflow only carries
// them out. Precedence, highest first:
// 1. a zone with every pod unready: fail over out of it (or back once it returns);
// 2. whatever the planner plans from spec and observation (provision,
//    repair, expand, scale, configure, roll, metadata.version);
// 3. a roll forced with `keelson roll`, on a cluster with nothing planned;
// 4. a failover drill asked for by hand, on a cluster with nothing else to do.
// Forced rolls and drills start only in the first round of a pass.
import type { ObservedNode } from './observed.ts';
import type { Operation } from './planner.ts';
import type { Moves } from './reassignment.ts';

/** A drill asked for by hand; not something the planner plans. */
export interface DrillOperation {
  type: 'drill';
  zone: string;
  holdMs: number;
}

/** Leadership out of an unavailable zone (and back when it returns); planned from zone health, not the spec. */
export interface ZoneFailoverOperation {
  type: 'failover';
  zone: string;
  originalOrder?: Moves;
}

export type AnyOperation = Operation | DrillOperation | ZoneFailoverOperation;

/** How status, search attributes and metrics name an operation. */
export type OperationName =
  | 'provision'
  | 'scale'
  | 'roll'
  | 'configure'
  | 'upgrade'
  | 'repair'
  | 'expand'
  | 'drill'
  | 'failover'
  | 'teardown';

export function operationName(type: AnyOperation['type']): Exclude<OperationName, 'teardown'> {
  switch (type) {
    case 'scale-up':
    case 'scale-down':
      return 'scale';
    default:
      return type;
  }
}

export function describeOperation(operation: AnyOperation): string {
  switch (operation.type) {
    case 'failover':
      return operation.originalOrder
        ? `moving preferred leadership back into zone ${operation.zone}`
        : `every pod of zone ${operation.zone} unready: moving leadership out of the zone until it returns`;
    case 'drill':
      return `failover drill of zone ${operation.zone}, holding ${Math.round(operation.holdMs / 1000)} s`;
    case 'roll':
      return `rolling ${operation.nodes.join(', ')}: ${operation.reason}`;
    case 'configure':
      return `applying dynamic configs ${[...Object.keys(operation.set), ...operation.remove].join(', ')} without restart`;
    case 'upgrade':
      return `raising metadata.version to ${operation.to}`;
    case 'expand':
      return `growing the volume claims of ${operation.nodes.join(', ')} to their pool's storage.size`;
    case 'repair':
      return `recreating missing ${[...operation.pods.map((p) => `pod ${p}`), ...operation.claims.map((c) => `claim of ${c}`)].join(', ')}`;
    default:
      return `${operation.type} of ${operation.nodes.join(', ')}`;
  }
}

/** The id prefixes of operations before they had one name everywhere. */
const legacyIdPrefix: Partial<Record<AnyOperation['type'], string>> = {
  upgrade: 'metadata-version',
  failover: 'zone-failover',
};

export interface OperationChoice {
  operation: AnyOperation;
  /** A roll forced by hand (its request is used up when it starts). */
  forced: boolean;
  /** A drill asked for by hand. */
  drill: boolean;
}

/** The operation to run next, by the precedence above; undefined: nothing to do. */
export function chooseOperation(input: {
  zoneFailover: ZoneFailoverOperation | undefined;
  planned: Operation | undefined;
  forcedRoll: { reason: string } | undefined;
  drill: { zone: string; holdMs: number } | undefined;
  /** 0 for the first operation of a pass. */
  round: number;
  observed: readonly ObservedNode[];
}): OperationChoice | undefined {
  const next = input.zoneFailover ?? input.planned;
  if (next) return { operation: next, forced: false, drill: false };
  if (input.round > 0) return undefined;
  if (input.forcedRoll) {
    return {
      operation: {
        type: 'roll',
        nodes: input.observed.filter((n) => n.podExists).map((n) => n.podName),
        reason: input.forcedRoll.reason,
      },
      forced: true,
      drill: false,
    };
  }
  if (input.drill) {
    return {
      operation: { type: 'drill', zone: input.drill.zone, holdMs: input.drill.holdMs },
      forced: false,
      drill: true,
    };
  }
  return undefined;
}

/**
 * The child workflow id of an operation: one per generation and round, so a
 * retried pass finds the child it started. Forced rolls, drills and
 * drift-triggered operations repeat within a generation: the pass (the
 * history length when it began) tells them apart.
 */
export function operationWorkflowId(input: {
  operation: AnyOperation;
  namespace: string;
  name: string;
  generation: number;
  round: number;
  choice: Pick<OperationChoice, 'forced' | 'drill'>;
  drift: boolean;
  pass: number;
  /** Ids as cluster workflows started before one name per operation wrote them (metadata-version/…, zone-failover/…). */
  legacyNames?: boolean;
}): string {
  const { operation, choice, pass } = input;
  const prefix = input.legacyNames ? (legacyIdPrefix[operation.type] ?? operation.type) : operation.type;
  const trigger = choice.forced
    ? `-forced-${pass}`
    : choice.drill && operation.type === 'drill'
      ? `-${operation.zone}-${pass}`
      : input.drift
        ? `-drift-${pass}`
        : '';
  return `${prefix}/${input.namespace}/${input.name}/g${input.generation}${input.round > 0 ? `-${input.round}` : ''}${trigger}`;
}

/** The teardown workflow of one incarnation (uid) of a cluster. */
export const teardownWorkflowId = (namespace: string, name: string, uid: string): string =>
  `teardown/${namespace}/${name}/${uid.slice(0, 8)}`;
