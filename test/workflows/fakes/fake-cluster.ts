// A KafkaCluster, its Kubernetes objects and its Kafka, kept in memory, with
// fake activities over them typed from the real activity interfaces: the
// workflows under test run unchanged (the real bundle) on Temporal's
// time-skipping test server, so their decisions and their histories over
// hours of workflow time are tested in seconds. Only what a test is about is
// modelled: pods ready or not, config hashes, shared objects, dynamic
// configs, partitions, Events and the status the workflows write.
import type { KubernetesObject, V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import type { Activities } from '../../../src/activities/index.ts';
import type { ClusterEvent } from '../../../src/activities/kubernetes/events.ts';
import { toObserved } from '../../../src/activities/kubernetes/pods.ts';
import { rollDecisionActivities } from '../../../src/activities/roll-decision.ts';
import { moveWaitActivities } from '../../../src/activities/kafka/move-wait.ts';
import { drillHoldActivities } from '../../../src/activities/drill-hold.ts';
import { Context } from '@temporalio/activity';
import type { KafkaClusterStatus } from '../../../src/crd/kafka-cluster.ts';
import { checkSpec } from '../../../src/crd/spec-check.ts';
import { mergeConditions, type Condition } from '../../../src/domain/conditions.ts';
import { failure } from '../../../src/domain/failures.ts';
import { labelKeys } from '../../../src/domain/labels.ts';
import type { PartitionState } from '../../../src/domain/observed.ts';
import type { ReconcilePolicy } from '../../../src/domain/reconcile-policy.ts';
import { rollPermitGrantedSignal } from '../../../src/workflows/messages.ts';

/** The fakes a test worker registers: each one has the real activity's signature. */
export type FakeActivities = Partial<Activities>;

const keyOf = (o: KubernetesObject): string => `${o.kind}/${o.metadata?.name}`;
const content = (o: KubernetesObject): string => {
  const { metadata, ...rest } = o as KubernetesObject & Record<string, unknown>;
  return JSON.stringify({ ...rest, labels: metadata?.labels, annotations: metadata?.annotations });
};

export class FakeCluster {
  readonly namespace = 'shop';
  readonly name = 'orders';
  readonly uid = 'uid-orders-1';
  generation = 1;
  spec: Record<string, unknown>;
  status: Partial<KafkaClusterStatus> = {};
  deleting = false;
  policy: ReconcilePolicy;
  /** Every object the workflows applied, by Kind/name, as they are now. */
  readonly objects = new Map<string, KubernetesObject>();
  /** Pods that cannot be scheduled (a zone without capacity, say) until taken out of this set. */
  readonly unschedulable = new Set<string>();
  /** Zones whose node is lost: their pods run no broker and are not ready. */
  readonly downZones = new Set<string>();
  dynamicConfig: Record<string, string> = {};
  metadataVersion = '4.1-IV1';
  partitions: PartitionState[] = [];
  readonly events: ClusterEvent[] = [];
  /** Activity calls, in order: name and, for some, what they acted on. */
  readonly calls: string[] = [];
  readonly restarted: string[] = [];
  /** After a node's restart, this many observations of Kafka show it catching up (out of the ISR). */
  catchUpObservations = 0;
  readonly #behind = new Map<number, number>();
  client: Client | undefined;
  /** Replication throttles set by a reassignment and not cleared yet. */
  throttled = false;
  /** How many looks at a reassignment's progress it takes to finish (a 1 TB drain at 50 MiB/s polled every 3 s: 7,000). */
  movePolls = 1;
  #moves: { topic: string; partition: number; replicas: number[] }[] = [];
  #movesPolled = 0;
  /** The drill hold's clock: skips ahead by each sleep, so a 10-hour hold passes at once. */
  holdClockMs = 0;

  constructor(spec: Record<string, unknown>, policy: ReconcilePolicy) {
    this.spec = structuredClone(spec);
    this.policy = policy;
  }

  /** A new spec, as `kubectl apply` makes it: the next generation. */
  update(spec: Record<string, unknown>): number {
    this.spec = structuredClone(spec);
    return ++this.generation;
  }

  pods(): V1Pod[] {
    return [...this.objects.values()].filter((o): o is V1Pod => o.kind === 'Pod');
  }

  condition(type: string): Condition | undefined {
    return (this.status.conditions as Condition[] | undefined)?.find((c) => c.type === type);
  }

  #withStatus(pod: V1Pod): V1Pod {
    const name = pod.metadata?.name ?? '';
    const nodeId = Number(pod.metadata?.labels?.[labelKeys.nodeId] ?? 0);
    const scheduled = !this.unschedulable.has(name);
    const zone = toObserved(pod, undefined)?.zone ?? '';
    return {
      ...pod,
      status: scheduled
        ? {
            podIP: `10.0.0.${nodeId + 1}`,
            conditions: [
              { type: 'PodScheduled', status: 'True' },
              { type: 'Ready', status: this.downZones.has(zone) ? 'False' : 'True' },
            ],
          }
        : {
            conditions: [
              {
                type: 'PodScheduled',
                status: 'False',
                reason: 'Unschedulable',
                message: '0/3 nodes are available',
              },
            ],
          },
    };
  }

  /** Puts an object in place as if applied earlier (a pod runs, ready unless unschedulable). */
  put(object: KubernetesObject): void {
    this.objects.set(keyOf(object), object.kind === 'Pod' ? this.#withStatus(object as V1Pod) : object);
  }

  /** Loses a zone's node (its pods turn unready), or brings it back. */
  setZoneDown(zone: string, down: boolean): void {
    if (down) this.downZones.add(zone);
    else this.downZones.delete(zone);
    for (const pod of this.pods()) this.objects.set(keyOf(pod), this.#withStatus(pod));
  }

  /** Takes a pod's cause of failure away: it is scheduled and becomes Ready. */
  schedulable(pod: string): void {
    this.unschedulable.delete(pod);
    const current = this.objects.get(`Pod/${pod}`);
    if (current) this.objects.set(`Pod/${pod}`, this.#withStatus(current as V1Pod));
  }

  activities(): FakeActivities {
    const fakes = this.#fakes();
    let polls = 0;
    // Real waits take a millisecond now and then (so cancellation and heartbeats still work).
    const briefly = async () => {
      if (++polls % 200 === 0) await Context.current().sleep(1);
    };
    return {
      ...fakes,
      ...moveWaitActivities({
        readAssignment: fakes.readAssignment,
        moveProgress: fakes.moveProgress,
        patchStatus: fakes.patchStatus,
        sleep: briefly,
      }),
      ...drillHoldActivities({
        observeNodes: fakes.observeNodes,
        probeCluster: fakes.probeCluster,
        clock: {
          now: () => this.holdClockMs,
          sleep: async (ms) => {
            this.holdClockMs += ms;
            await briefly();
          },
        },
      }),
      // The real roll decision activity, over the fake observations; its waits take a millisecond.
      ...rollDecisionActivities({
        observeNodes: fakes.observeNodes,
        observeKafka: fakes.observeKafka,
        electPreferredLeaders: fakes.electPreferredLeaders,
        recordEvent: fakes.recordEvent,
        patchStatus: fakes.patchStatus,
        sleep: () => Context.current().sleep(1),
      }),
    };
  }

  #applyMoves(): void {
    for (const move of this.#moves) {
      const partition = this.partitions.find((p) => p.topic === move.topic && p.partition === move.partition);
      if (partition) Object.assign(partition, { replicas: move.replicas, isr: move.replicas });
    }
    this.#moves = [];
  }

  #fakes() {
    const record = (call: string) => this.calls.push(call);
    const observeNodes: Activities['observeNodes'] = async () => {
      record('observeNodes');
      const pods = this.pods();
      const claims = [...this.objects.values()].filter(
        (o): o is V1PersistentVolumeClaim => o.kind === 'PersistentVolumeClaim',
      );
      const names = new Set([
        ...pods.map((p) => p.metadata?.name ?? ''),
        ...claims.map((c) => (c.metadata?.name ?? '').replace(/^data-/, '')),
      ]);
      return [...names]
        .map((name) =>
          toObserved(
            pods.find((p) => p.metadata?.name === name),
            claims.find((c) => c.metadata?.name === `data-${name}`),
          ),
        )
        .filter((n) => n !== undefined)
        .sort((a, b) => a.nodeId - b.nodeId);
    };
    const readyIds = (role: 'broker' | 'controller') =>
      this.pods()
        .filter(
          (p) =>
            p.metadata?.labels?.[labelKeys[role]] === 'true' &&
            (p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false),
        )
        .map((p) => Number(p.metadata?.labels?.[labelKeys.nodeId]));
    return {
      readCluster: async () => {
        record('readCluster');
        return {
          uid: this.uid,
          generation: this.generation,
          deleting: this.deleting,
          specCheck: checkSpec(structuredClone(this.spec)),
          status: structuredClone(this.status) as KafkaClusterStatus,
          reconcile: this.policy,
        };
      },
      patchStatus: async (key) => {
        const status = { ...this.status, ...key.status } as Record<string, unknown>;
        if (key.status.conditions) {
          status.conditions = mergeConditions(
            (this.status.conditions ?? []) as Condition[],
            key.status.conditions as Condition[],
          );
        }
        for (const field of key.clear ?? []) delete status[field];
        if (key.progress && this.status.currentOperation) {
          status.currentOperation = { ...this.status.currentOperation, ...key.progress };
        }
        this.status = status as Partial<KafkaClusterStatus>;
      },
      recordEvent: async (event) => {
        this.events.push(event);
        return true;
      },
      syncBackupSchedule: async () => ({ scheduleId: 'none', exists: false }),
      applyObjects: async (manifests) => {
        record(`applyObjects ${manifests.map(keyOf).join(',')}`);
        const changed: string[] = [];
        for (const manifest of manifests) {
          const current = this.objects.get(keyOf(manifest));
          if (current && content(current) === content(manifest)) continue;
          changed.push(keyOf(manifest));
          this.objects.set(
            keyOf(manifest),
            manifest.kind === 'Pod'
              ? this.#withStatus(structuredClone(manifest) as V1Pod)
              : structuredClone(manifest),
          );
        }
        return changed;
      },
      observeNodes,
      waitForPodsReady: async (key) => {
        record('waitForPodsReady');
        const addresses: Record<string, string> = {};
        for (const name of key.pods) {
          const pod = this.objects.get(`Pod/${name}`) as V1Pod | undefined;
          if (this.unschedulable.has(name)) {
            throw failure('PodCannotStart', `pod ${name} cannot run: Unschedulable: 0/3 nodes are available`);
          }
          addresses[name] = pod?.status?.podIP ?? '';
        }
        return addresses;
      },
      waitForBrokersRegistered: async (input) => input.brokerIds,
      observeKafka: async (input) => {
        record('observeKafka');
        const controllers = readyIds('controller');
        const behind = [...this.#behind.entries()].filter(([, left]) => left > 0).map(([id]) => id);
        for (const id of behind) this.#behind.set(id, (this.#behind.get(id) ?? 1) - 1);
        return {
          brokers: readyIds('broker'),
          partitions: this.partitions.map((p) => ({ ...p, isr: p.isr.filter((id) => !behind.includes(id)) })),
          quorum: {
            leaderId: controllers[0] ?? -1,
            voters: controllers.map((nodeId) => ({ nodeId, caughtUp: true })),
            fetching: [...readyIds('controller'), ...readyIds('broker')],
          },
          ...(input.probe ? { serving: readyIds('broker') } : {}),
        };
      },
      readClusterDynamicConfig: async () => ({ ...this.dynamicConfig }),
      readMetadataVersion: async () => this.metadataVersion,
      applyClusterDynamicConfig: async (input) => {
        record('applyClusterDynamicConfig');
        for (const key of input.remove) delete this.dynamicConfig[key];
        Object.assign(this.dynamicConfig, input.set);
        return { ...input.set };
      },
      restartNode: async (input) => {
        const name = input.pod.metadata?.name ?? '';
        record(`restartNode ${name}`);
        this.restarted.push(name);
        this.#behind.set(Number(input.pod.metadata?.labels?.[labelKeys.nodeId]), this.catchUpObservations);
        this.objects.set(`Pod/${name}`, this.#withStatus(structuredClone(input.pod)));
        return 'restarted';
      },
      electPreferredLeaders: async () => ({ elected: 0, notElected: [] }),
      readAssignment: async () => {
        record('readAssignment');
        return {
          brokers: readyIds('broker'),
          partitions: this.partitions.map((p) => ({ ...p, leader: p.replicas[0] ?? -1 })),
        };
      },
      throttleMoves: async () => {
        record('throttleMoves');
        this.throttled = true;
      },
      clearThrottle: async () => {
        record('clearThrottle');
        this.throttled = false;
      },
      startMoves: async (input) => {
        record('startMoves');
        this.#moves = input.moves;
        this.#movesPolled = 0;
        // A reorder (same replicas) moves no data: Kafka applies it at once.
        if (this.movePolls <= 1) this.#applyMoves();
      },
      moveProgress: async (input) => {
        record('moveProgress');
        this.#movesPolled++;
        const total = input.moves.length;
        if (this.#movesPolled >= this.movePolls) {
          this.#applyMoves();
          return { done: total, total, inFlight: 0 };
        }
        const done = Math.floor((total * this.#movesPolled) / this.movePolls);
        return { done, total, inFlight: total - done };
      },
      unregisterBrokers: async () => undefined,
      removeNodes: async (input) => {
        record(`removeNodes ${input.pods.join(',')}`);
        for (const pod of input.pods) this.objects.delete(`Pod/${pod}`);
      },
      ensureProbeTopic: async () => undefined,
      probeCluster: async () => {
        record('probeCluster');
        return { produced: true, consumed: true, offlinePartitions: 0 };
      },
      requestRollPermit: async (input) => {
        // No permits workflow here: every roll gets its permit at once.
        await this.client?.workflow.getHandle(input.holder).signal(rollPermitGrantedSignal);
        return { limit: 1 };
      },
    } satisfies FakeActivities;
  }
}
