// Reconciling every KafkaTopic of one cluster in one activity: one metadata
// read, one DescribeConfigs for all their topics, then the changes batched
// into a few Admin calls (topics created together per settings, partitions
// grown in one call, configs altered in one call, deletions in one call),
// and each KafkaTopic's status. A replication factor change moves replicas
// with a throttle and is followed over later passes. A batched call that
// fails is retried topic by topic, so one bad topic does not hold back the
// others and its error lands in its own status.
import {
  Admin,
  ConfigResourceTypes,
  ConfigSources,
  IncrementalAlterConfigOperationTypes,
  listPartitionReassignmentsV0,
} from '@platformatic/kafka';
import type { KubeConfig } from '@kubernetes/client-node';
import { heartbeat } from '@temporalio/activity';
import { KafkaClusterSpec } from '../../crd/kafka-cluster.ts';
import {
  KafkaTopicSpec,
  topicPlural,
  topicThrottleKeys,
  type KafkaTopicStatus,
} from '../../crd/kafka-topic.ts';
import {
  planReplicationChange,
  planTopic,
  replicationFactor,
  topicFinalizer,
  topicOwners,
  type TopicInKafka,
} from '../../domain/kafka-topics.ts';
import { readyBrokerAddresses, type ObservedNode } from '../../domain/observed.ts';
import { kafkaAccess, operatorPort, specAtRecordedStage } from '../../domain/tls.ts';
import type { Moves } from '../../domain/reassignment.ts';
import { clusterResources, writeQueue, type ClusterResource } from '../kubernetes/cluster-resources.ts';
import type { KafkaClients } from './client-options.ts';
import { readMetadata, withConnection } from './connection.ts';
import { reassignmentActivities, replicaMoveActivities } from './reassignment.ts';

type TopicObject = ClusterResource<KafkaTopicStatus>;

export interface TopicsOutcome {
  topics: number;
  ready: number;
  notReady: number;
  removed: number;
  /** Topics whose replicas are moving: the workflow passes again soon to follow them. */
  moving: number;
  /** Topics a Kafka call failed for (a broker restarting, say): tried again soon, not at the next resync. */
  failed?: number;
  /** Where the pass spent its time: reading (Kubernetes and Kafka), changing Kafka, writing statuses and finalizers. */
  timings?: { readMs: number; kafkaMs: number; writeMs: number };
  /** The cluster is gone and no KafkaTopic of it is left: the topics workflow may end. */
  clusterGone: boolean;
}

type Deps = {
  kube: KubeConfig;
  kafka: KafkaClients;
  observeNodes: (key: { namespace: string; cluster: string; uid?: string }) => Promise<ObservedNode[]>;
};

/** Kafka's own words for each topic's error sit in the response the client attaches. */
function responseMessages(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) responseMessages(item, found);
  else if (value && typeof value === 'object') {
    const { errorMessage } = value as { errorMessage?: unknown };
    if (typeof errorMessage === 'string' && errorMessage) found.push(errorMessage);
    for (const v of Object.values(value)) if (v && typeof v === 'object') responseMessages(v, found);
  }
  return found;
}

const errorText = (err: unknown): string => {
  const nested = (err as { errors?: unknown[] }).errors?.[0];
  const message = (err as Error).message ?? String(err);
  const kafka = [...new Set(responseMessages((err as { response?: unknown }).response))];
  const own = kafka.length > 0 ? `${message} (${kafka.join('; ')})` : message;
  return nested ? `${own} ${errorText(nested)}` : own;
};

/** Runs `batch` on all items; when it fails, runs it on each item alone and returns the errors by item. */
async function batchThenEach<T>(
  items: readonly T[],
  batch: (items: readonly T[]) => Promise<void>,
): Promise<Map<T, string>> {
  const failed = new Map<T, string>();
  if (items.length === 0) return failed;
  try {
    await batch(items);
  } catch {
    for (const item of items) await batch([item]).catch((err: unknown) => failed.set(item, errorText(err)));
  }
  return failed;
}

export function topicActivities(deps: Deps) {
  const resources = clusterResources<KafkaTopicStatus>(deps.kube, topicPlural);
  const reassignment = reassignmentActivities(deps.kafka);
  const moves = replicaMoveActivities(deps.kafka);

  return {
    /**
     * Brings Kafka in line with every KafkaTopic of the cluster and writes
     * each one's status. Returns counts only.
     */
    async reconcileTopics(input: { namespace: string; cluster: string }): Promise<TopicsOutcome> {
      const { namespace } = input;
      const startedAt = Date.now();
      const topics = await resources.list(namespace, input.cluster);
      const outcome: TopicsOutcome = {
        topics: topics.length,
        ready: 0,
        notReady: 0,
        removed: 0,
        moving: 0,
        clusterGone: false,
      };
      // Kubernetes writes go through a queue, 32 at a time, drained before returning.
      const writes = writeQueue();
      const release = (topic: TopicObject) => {
        outcome.removed++;
        writes.add(() => resources.removeFinalizer(topic, topicFinalizer));
      };
      const notReady = (topic: TopicObject, reason: string, message: string, topicName?: string) => {
        outcome.notReady++;
        writes.add(() =>
          resources.notReady(topic, reason, message, topicName !== undefined ? { topicName } : {}),
        );
      };

      const clusterObject = await resources.readCluster(namespace, input.cluster);
      const clusterSpec = clusterObject && KafkaClusterSpec.safeParse(clusterObject.spec);
      if (!clusterObject || clusterObject.metadata.deletionTimestamp || !clusterSpec?.success) {
        // A cluster going or gone takes its topics with it: nothing to delete in Kafka.
        for (const topic of topics) {
          if (topic.metadata.deletionTimestamp) release(topic);
          else
            notReady(
              topic,
              'ClusterNotFound',
              clusterObject
                ? `KafkaCluster ${namespace}/${input.cluster} is being deleted or its spec is not valid`
                : `KafkaCluster ${namespace}/${input.cluster} does not exist`,
            );
        }
        outcome.clusterGone = !clusterObject && topics.every((t) => t.metadata.deletionTimestamp);
        await writes.drain();
        return outcome;
      }
      const clusterRef = { namespace, name: input.cluster, uid: clusterObject.metadata.uid };
      const spec = specAtRecordedStage(clusterSpec.data, clusterObject.status?.securityStage);
      const observed = await deps.observeNodes({ namespace, cluster: input.cluster, uid: clusterRef.uid });
      const addresses = readyBrokerAddresses(observed, operatorPort(spec));
      if (addresses.length === 0) {
        for (const topic of topics)
          if (!topic.metadata.deletionTimestamp)
            notReady(topic, 'ClusterNotReady', `no broker of ${input.cluster} is ready yet`);
        await writes.drain();
        throw new Error(`no broker of ${namespace}/${input.cluster} is ready`);
      }
      const bootstrap = kafkaAccess(clusterRef, spec, addresses);
      const client = await deps.kafka.options(bootstrap);
      const clusterData = clusterSpec.data;
      // One Admin client for the whole pass: its connections serve every batched call.
      const admin = new Admin(client);
      try {
        return await passWith(admin);
      } finally {
        await admin.close();
      }

      async function passWith(admin: Admin): Promise<TopicsOutcome> {
        const [metadata, ongoing] = await Promise.all([
          withConnection(client, readMetadata),
          withConnection(client, (c) => listPartitionReassignmentsV0.api.async(c, 30_000, null)),
        ]);
        const reassigning = new Set(ongoing.topics.map((t) => t.name));
        const brokers = metadata.brokers.map((b) => ({ id: b.nodeId, zone: b.rack ?? '' }));
        const brokerCount = clusterData.nodePools
          .filter((p) => p.roles.includes('broker'))
          .reduce((n, p) => n + p.replicas, 0);
        const load = new Map<number, number>(brokers.map((b) => [b.id, 0]));
        const inKafka = new Map<string, TopicInKafka>();
        for (const t of metadata.topics) {
          if (!t.name) continue;
          const partitions = t.partitions
            .map((p) => ({ partition: p.partitionIndex, leader: p.leaderId, replicas: p.replicaNodes }))
            .sort((a, b) => a.partition - b.partition);
          for (const p of partitions) for (const r of p.replicas) load.set(r, (load.get(r) ?? 0) + 1);
          inKafka.set(t.name, { id: t.topicId, partitions, configs: {} });
        }

        // Each KafkaTopic's spec and topic name; the oldest KafkaTopic naming a topic owns it.
        const parsed: { topic: TopicObject; spec: KafkaTopicSpec; topicName: string }[] = [];
        for (const topic of topics) {
          if (topic.metadata.deletionTimestamp) continue;
          const result = KafkaTopicSpec.safeParse(topic.spec);
          if (!result.success) {
            notReady(
              topic,
              'InvalidSpec',
              result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
            );
            continue;
          }
          parsed.push({ topic, spec: result.data, topicName: result.data.topicName ?? topic.metadata.name });
        }
        const owners = topicOwners(
          parsed.map((p) => ({
            ...p,
            name: p.topic.metadata.name,
            created: p.topic.metadata.creationTimestamp ?? '',
            holds:
              p.topic.status?.topicId !== undefined &&
              p.topic.status.topicId === inKafka.get(p.topicName)?.id,
            claims: p.topic.status?.topicName === p.topicName,
          })),
        );

        // Every managed topic's own configs, in one request.
        const described = [
          ...new Set([
            ...parsed.map((p) => p.topicName),
            ...topics.flatMap((t) => (t.status?.topicName ? [t.status.topicName] : [])),
          ]),
        ].filter((name) => inKafka.has(name));
        if (described.length > 0) {
          {
            const configs = await admin.describeConfigs({
              resources: described.map((resourceName) => ({
                resourceType: ConfigResourceTypes.TOPIC,
                resourceName,
              })),
            });
            for (const c of configs) {
              const topic = inKafka.get(c.resourceName);
              if (topic)
                topic.configs = Object.fromEntries(
                  c.configs
                    .filter((e) => e.configSource === ConfigSources.DYNAMIC_TOPIC_CONFIG && e.value !== null)
                    .map((e) => [e.name, e.value ?? '']),
                );
            }
          }
        }
        heartbeat({ topics: topics.length, described: described.length });

        // Plan each topic; gather the batched calls.
        type Planned = { topic: TopicObject; spec: KafkaTopicSpec; topicName: string; adopt: boolean };
        const creates = new Map<string, Planned[]>();
        const grows: { planned: Planned; count: number }[] = [];
        const alters: { planned: Planned; set: Record<string, string>; remove: string[] }[] = [];
        const replicaMoves: { planned: Planned; moves: Moves }[] = [];
        const settled: Planned[] = [];
        const moving = new Set<Planned>();
        let throttleCleared = false;
        for (const { topic, spec, topicName } of parsed) {
          const owner = owners.get(topicName);
          if (owner?.topic !== topic) {
            notReady(
              topic,
              'DuplicateTopic',
              `KafkaTopic ${owner?.topic.metadata.name} already manages topic ${topicName} of this cluster`,
            );
            continue;
          }
          const existing = inKafka.get(topicName);
          const plan = planTopic({
            topicName,
            spec,
            ownedId: topic.status?.topicId,
            inKafka: existing,
            // The spec's count, not the brokers up now: a roll must not make topics unready.
            brokers: brokerCount,
          });
          const planned: Planned = { topic, spec, topicName, adopt: false };
          if (plan.kind === 'refuse') {
            notReady(topic, plan.reason, plan.message, topicName);
            continue;
          }
          if (plan.kind === 'create') {
            const key = JSON.stringify([plan.partitions, plan.replicas, plan.configs]);
            creates.set(key, [...(creates.get(key) ?? []), planned]);
            continue;
          }
          planned.adopt = plan.adopt;
          if (plan.growPartitionsTo) grows.push({ planned, count: plan.growPartitionsTo });
          const throttled = topicThrottleKeys.filter((k) => k in (existing?.configs ?? {}));
          const inFlight = reassigning.has(topicName);
          if (plan.changeReplicas && !inFlight && existing) {
            const topicMoves = planReplicationChange(
              topicName,
              existing.partitions,
              spec.replicas,
              brokers,
              load,
            );
            replicaMoves.push({ planned, moves: topicMoves });
          }
          if (plan.changeReplicas || inFlight) moving.add(planned);
          // A finished move leaves its throttle on the topic: it goes with the next config change.
          const clear = !plan.changeReplicas && !inFlight ? throttled : [];
          if (clear.length > 0) throttleCleared = true;
          if (Object.keys(plan.setConfigs).length > 0 || plan.deleteConfigs.length > 0 || clear.length > 0)
            alters.push({ planned, set: plan.setConfigs, remove: [...plan.deleteConfigs, ...clear] });
          settled.push(planned);
        }

        const readAt = Date.now();
        const failures = new Map<Planned, string>();
        const created = new Map<Planned, string>();
        {
          for (const [key, group] of creates) {
            const [partitions, replicas, configs] = JSON.parse(key) as [
              number,
              number,
              Record<string, string>,
            ];
            const failed = await batchThenEach(group, async (items) => {
              const result = await admin.createTopics({
                topics: items.map((p) => p.topicName),
                partitions,
                replicas,
                configs: Object.entries(configs).map(([name, value]) => ({ name, value })),
              });
              for (const r of result) {
                const planned = items.find((p) => p.topicName === r.name);
                if (planned) created.set(planned, r.id);
              }
            });
            for (const [p, message] of failed) failures.set(p, `creating the topic failed: ${message}`);
            // Failed ones too: their status says why.
            settled.push(...group);
            heartbeat({ created: created.size });
          }
          const grown = await batchThenEach(grows, (items) =>
            admin.createPartitions({
              topics: items.map(({ planned, count }) => ({ name: planned.topicName, count })),
            }),
          );
          for (const [g, message] of grown) failures.set(g.planned, `adding partitions failed: ${message}`);
          const altered = await batchThenEach(alters, (items) =>
            admin.incrementalAlterConfigs({
              resources: items.map(({ planned, set, remove }) => ({
                resourceType: ConfigResourceTypes.TOPIC,
                resourceName: planned.topicName,
                configs: [
                  ...Object.entries(set).map(([name, value]) => ({
                    name,
                    value,
                    configOperation: IncrementalAlterConfigOperationTypes.SET,
                  })),
                  ...remove.map((name) => ({
                    name,
                    configOperation: IncrementalAlterConfigOperationTypes.DELETE,
                  })),
                ],
              })),
            }),
          );
          for (const [a, message] of altered) failures.set(a.planned, `setting configs failed: ${message}`);
        }
        const allMoves = replicaMoves.flatMap((m) => m.moves);
        if (allMoves.length > 0) {
          // The throttle first, so the copying never runs unthrottled.
          await reassignment.throttleMoves({
            bootstrap,
            moves: allMoves,
            bytesPerSecond: clusterData.rebalance.throttleBytesPerSecond,
          });
          await moves.startMoves({ bootstrap, moves: allMoves });
        } else if (throttleCleared && reassigning.size === 0) {
          // No replica moves anywhere in the cluster: the brokers' throttle rate goes too.
          await reassignment.clearThrottle({ bootstrap, brokers: brokers.map((b) => b.id), topics: [] });
        }

        // Deletions: only the topic Keelson created or adopted (its id in status), and not when retained.
        const deleting = topics.filter((t) => t.metadata.deletionTimestamp);
        const doomed = deleting.filter((t) => {
          const name = t.status?.topicName;
          const spec = KafkaTopicSpec.safeParse(t.spec);
          const retain = spec.success && spec.data.deletePolicy === 'retain';
          return !retain && name !== undefined && t.status?.topicId === inKafka.get(name)?.id;
        });
        if (doomed.length > 0) {
          {
            const failed = await batchThenEach(doomed, (items) =>
              admin.deleteTopics({ topics: items.map((t) => t.status?.topicName ?? '') }),
            );
            for (const [t, message] of failed)
              notReady(t, 'DeleteFailed', `deleting the topic failed: ${message}`);
            for (const t of deleting) if (!failed.has(t)) release(t);
          }
        } else for (const t of deleting) release(t);

        for (const planned of settled) {
          const { topic, spec, topicName } = planned;
          const failure = failures.get(planned);
          if (failure) {
            outcome.failed = (outcome.failed ?? 0) + 1;
            notReady(topic, 'Failed', failure);
            continue;
          }
          const existing = inKafka.get(topicName);
          const isMoving = moving.has(planned);
          const status: KafkaTopicStatus = {
            ...(topic.metadata.generation !== undefined
              ? { observedGeneration: topic.metadata.generation }
              : {}),
            topicName,
            topicId: created.get(planned) ?? existing?.id ?? '',
            partitions: spec.partitions,
            replicas: isMoving && existing ? replicationFactor(existing) : spec.replicas,
            conditions: [
              isMoving
                ? resources.readyCondition(
                    topic,
                    false,
                    'ReplicasMoving',
                    `replication factor changing to ${spec.replicas}: replicas are moving, throttled to ${clusterData.rebalance.throttleBytesPerSecond} bytes/s per broker`,
                  )
                : resources.readyCondition(
                    topic,
                    true,
                    'Ready',
                    `${planned.adopt ? 'adopted ' : ''}topic ${topicName}: ${spec.partitions} partitions, ${spec.replicas} replicas, ${Object.keys(spec.config).length} configs set`,
                  ),
            ],
          };
          if (isMoving) {
            outcome.moving++;
            outcome.notReady++;
          } else outcome.ready++;
          writes.add(async () => {
            await resources.addFinalizer(topic, topicFinalizer).catch((err: { code?: number }) => {
              // 409: changed meanwhile; the next pass adds it.
              if (err.code !== 409) throw err;
            });
            await resources.writeStatus(topic, status);
          });
        }
        const changedAt = Date.now();
        await writes.drain();
        outcome.timings = {
          readMs: readAt - startedAt,
          kafkaMs: changedAt - readAt,
          writeMs: Date.now() - changedAt,
        };
        return outcome;
      }
    },
  };
}
