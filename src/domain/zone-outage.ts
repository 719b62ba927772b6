// Whether a zone is out, as a pure function: a zone is unavailable when it
// runs pods of the cluster and none of them is ready, while another zone
// still has a ready broker (with nothing ready anywhere there is nobody to
// move leadership to, and it is not a zone failure). The cluster workflow
// tracks since when; once that is longer than spec.zoneFailover.after it
// moves leadership out of the zone, and moves it back when the zone returns.
import type { ObservedNode } from './observed.ts';
import type { Moves } from './reassignment.ts';

export interface ZoneOutage {
  zone: string;
  /** Epoch ms of the first pass that saw the zone unavailable. */
  unreadySince: number;
  /** The replica orders to put back once the zone returns (leadership moved out already). */
  originalOrder?: Moves;
}

export type ZoneAssessment =
  | { kind: 'available' }
  | { kind: 'waiting'; outage: ZoneOutage; failoverAtMs: number }
  | { kind: 'failover'; outage: ZoneOutage }
  /** The zone is back but leadership is still out of it (the failover was interrupted). */
  | { kind: 'failback'; outage: ZoneOutage };

/** Zones where every existing pod of the cluster is unready, in name order. */
export function unavailableZones(nodes: readonly ObservedNode[]): string[] {
  const existing = nodes.filter((n) => n.podExists);
  const anyBrokerReadyOutside = (zone: string): boolean =>
    existing.some((n) => n.zone !== zone && n.ready && n.roles.includes('broker'));
  const zones = [...new Set(existing.map((n) => n.zone))].sort();
  return zones.filter((zone) => {
    const inZone = existing.filter((n) => n.zone === zone);
    return (
      inZone.some((n) => n.roles.includes('broker')) &&
      inZone.every((n) => !n.ready) &&
      anyBrokerReadyOutside(zone)
    );
  });
}

export function assessZones(input: {
  nodes: readonly ObservedNode[];
  tracked: ZoneOutage | undefined;
  nowMs: number;
  failoverAfterMs: number;
}): ZoneAssessment {
  const zones = unavailableZones(input.nodes);
  // Stay with the zone already tracked while it is still out, so a second zone going down does not reset the clock.
  const zone = input.tracked && zones.includes(input.tracked.zone) ? input.tracked.zone : zones[0];
  if (zone === undefined) {
    return input.tracked?.originalOrder ? { kind: 'failback', outage: input.tracked } : { kind: 'available' };
  }
  // Another zone while leadership is still out of the tracked one: put it back first.
  if (input.tracked?.originalOrder && input.tracked.zone !== zone)
    return { kind: 'failback', outage: input.tracked };
  const outage: ZoneOutage =
    input.tracked?.zone === zone ? input.tracked : { zone, unreadySince: input.nowMs };
  const failoverAtMs = outage.unreadySince + input.failoverAfterMs;
  return input.nowMs >= failoverAtMs
    ? { kind: 'failover', outage }
    : { kind: 'waiting', outage, failoverAtMs };
}
