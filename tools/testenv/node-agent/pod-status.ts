// The pod status the agent reports, built from what it knows about the
// container, as a pure function. Condition transition times are carried over
// from the previous status while a condition keeps its value.
import type { V1ContainerState, V1PodCondition, V1PodStatus } from '@kubernetes/client-node';

export type ContainerPhase =
  | { kind: 'waiting'; reason: string; message: string }
  | { kind: 'running'; startedAt: Date; ready: boolean }
  | { kind: 'terminated'; exitCode: number; reason: string; startedAt: Date; finishedAt: Date };

export interface ContainerFacts {
  name: string;
  image: string;
  phase: ContainerPhase;
  restartCount: number;
  lastTerminated?: { exitCode: number; reason: string; startedAt: Date; finishedAt: Date };
}

export interface PodFacts {
  podIP: string | undefined;
  hostIP: string;
  startTime: Date;
  container: ContainerFacts;
  /** Set when the pod will not restart (restartPolicy Never and the container ended). */
  finished?: 'Succeeded' | 'Failed';
}

function containerState(phase: ContainerPhase): V1ContainerState {
  switch (phase.kind) {
    case 'waiting':
      return { waiting: { reason: phase.reason, message: phase.message } };
    case 'running':
      return { running: { startedAt: phase.startedAt } };
    case 'terminated':
      return {
        terminated: {
          exitCode: phase.exitCode,
          reason: phase.reason,
          startedAt: phase.startedAt,
          finishedAt: phase.finishedAt,
        },
      };
  }
}

export function buildPodStatus(facts: PodFacts, previous: V1PodStatus | undefined, now: Date): V1PodStatus {
  const { container } = facts;
  const ready = container.phase.kind === 'running' && container.phase.ready;
  const condition = (type: string, value: boolean, reason?: string): V1PodCondition => {
    const status = value ? 'True' : 'False';
    const before = previous?.conditions?.find((c) => c.type === type);
    return {
      type,
      status,
      lastTransitionTime:
        before?.status === status && before.lastTransitionTime ? before.lastTransitionTime : now,
      ...(value || reason === undefined ? {} : { reason }),
    };
  };
  const phase = facts.finished ?? (container.phase.kind === 'running' ? 'Running' : 'Pending');
  return {
    phase,
    hostIP: facts.hostIP,
    hostIPs: [{ ip: facts.hostIP }],
    ...(facts.podIP === undefined ? {} : { podIP: facts.podIP, podIPs: [{ ip: facts.podIP }] }),
    startTime: facts.startTime,
    conditions: [
      condition('PodScheduled', true),
      condition('Initialized', true),
      condition('ContainersReady', ready, 'ContainersNotReady'),
      condition('Ready', ready, 'ContainersNotReady'),
    ],
    containerStatuses: [
      {
        name: container.name,
        image: container.image,
        imageID: '',
        ready,
        started: container.phase.kind === 'running',
        restartCount: container.restartCount,
        state: containerState(container.phase),
        ...(container.lastTerminated
          ? { lastState: containerState({ kind: 'terminated', ...container.lastTerminated }) }
          : {}),
      },
    ],
  };
}

/** Compares two statuses for what matters, ignoring Date vs string forms of times. */
export function sameStatus(a: V1PodStatus | undefined, b: V1PodStatus): boolean {
  return JSON.stringify(a ?? {}) === JSON.stringify(JSON.parse(JSON.stringify(b)));
}
