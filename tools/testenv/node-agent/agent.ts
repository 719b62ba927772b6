// The test node agent: plays the scheduler and the kubelet for a few fake
// Nodes (one per zone), so that broker pods created through the real API
// server run as real Kafka processes on loopback. It reconciles level-based:
// every watch event and a one-second tick re-read pods, claims and volumes and
// move each pod one step (schedule, start, probe, restart, terminate).
import {
  CoreV1Api,
  PatchStrategy,
  StorageV1Api,
  Watch,
  setHeaderOptions,
  type KubeConfig,
  type V1Node,
  type V1PersistentVolumeClaim,
  type V1Pod,
} from '@kubernetes/client-node';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { hostsFileText } from './hosts-file.ts';
import { IpPool } from './ip-pool.ts';
import {
  baseConfigPath,
  hostPathFor,
  kafkaVersionFromImage,
  mapPropertyPaths,
  mergeEnvIntoProperties,
  parseProperties,
  renderProperties,
  UnsupportedImageError,
  type PathMapping,
  mapJavaOptionPaths,
} from './kafka-config.ts';
import { KafkaProcess } from './kafka-process.ts';
import { ensureStorageClass, hostIP, nodeInOutage, registerNodes, reportNodesReady } from './nodes.ts';
import { PodConfigError, resolveEnv } from './pod-env.ts';
import { buildPodStatus, sameStatus, type ContainerPhase } from './pod-status.ts';
import { probeReady } from './probes.ts';
import { provisionVolumes, reclaimVolumes, resizeVolumes } from './provisioner.ts';
import { chooseNode, untoleratedTaints } from './scheduling.ts';
import { ServiceProxy } from './service-proxy.ts';
import { configMapData, secretData, volumeHostDir, type ImageVolumes } from './volumes.ts';

export interface AgentOptions {
  kubeconfig: KubeConfig;
  stateDir: string;
  zones: readonly string[];
  kafkaVersions: readonly string[];
  kafkaLibsDir: (version: string) => string;
  /** Where the files of an image volume's image are, when the environment has that image. */
  imageVolumes?: ImageVolumes;
  log: Logger;
}

interface Terminated {
  exitCode: number;
  reason: string;
  startedAt: Date;
  finishedAt: Date;
}

/** What the agent tracks for one pod it runs. */
interface PodRuntime {
  uid: string;
  namespace: string;
  name: string;
  hostname: string | undefined;
  subdomain: string | undefined;
  podIP: string;
  dir: string;
  startTime: Date;
  process?: KafkaProcess;
  starting?: Promise<void>;
  stopping: boolean;
  restartCount: number;
  crashes: number;
  nextStartAt: number;
  waiting?: { reason: string; message: string };
  lastTerminated?: Terminated;
  lastStatus?: object;
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const maxBackoffMs = 30_000;

/**
 * Broker settings the environment uses unless the pod's config sets them: a
 * heartbeat every 500 ms instead of 2 s (a controlled shutdown is granted a
 * heartbeat sooner), and a broker session of 3 s instead of 9 s (the
 * controller refuses a restarted broker's registration with
 * DUPLICATE_BROKER_REGISTRATION until the old session ends, which took 6 s
 * of every restart here). Every test roll is shorter; Keelson depends on
 * neither value.
 */
export const testenvBrokerDefaults: Readonly<Record<string, string>> = {
  'broker.heartbeat.interval.ms': '500',
  'broker.session.timeout.ms': '3000',
};

export class NodeAgent {
  private readonly core: CoreV1Api;
  private readonly storage: StorageV1Api;
  private readonly runtimes = new Map<string, PodRuntime>();
  private readonly ips: IpPool;
  readonly hostsFile: string;
  private nodes: V1Node[] = [];
  /** Names of our nodes annotated as lost (see nodes.ts outageAnnotation). */
  private inOutage = new Set<string>();
  private reconciling = false;
  private again = false;
  private stopped = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly watches: AbortController[] = [];
  private lastHosts = '';
  private readonly options: AgentOptions;
  private readonly services: ServiceProxy;

  constructor(options: AgentOptions) {
    this.options = options;
    this.core = options.kubeconfig.makeApiClient(CoreV1Api);
    this.storage = options.kubeconfig.makeApiClient(StorageV1Api);
    mkdirSync(join(options.stateDir, 'logs'), { recursive: true });
    this.ips = new IpPool(join(options.stateDir, 'pod-ips.json'));
    this.hostsFile = join(options.stateDir, 'hosts');
    this.writeHosts();
    this.services = new ServiceProxy(this.core, options.log);
  }

  async start(): Promise<void> {
    this.nodes = await registerNodes(this.core, this.options.zones);
    await reportNodesReady(this.core, this.options.zones);
    await ensureStorageClass(this.storage);
    for (const path of [
      '/api/v1/pods',
      '/api/v1/persistentvolumeclaims',
      '/api/v1/persistentvolumes',
      '/api/v1/nodes',
      '/api/v1/services',
    ]) {
      this.watch(path);
    }
    this.timers.push(setInterval(() => this.kick(), 1_000));
    this.timers.push(
      setInterval(() => {
        reportNodesReady(this.core, this.options.zones, this.inOutage).catch((err: unknown) =>
          this.options.log.warn({ err }, 'node heartbeat failed'),
        );
      }, 20_000),
    );
    this.kick();
  }

  /** Stops every broker (SIGTERM with a short grace) and the loops. */
  async stop(graceSeconds = 10): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    for (const watch of this.watches) watch.abort();
    this.services.close();
    await Promise.all(
      [...this.runtimes.values()].map(async (runtime) => {
        await runtime.starting;
        await runtime.process?.stop(graceSeconds);
      }),
    );
  }

  private watch(path: string): void {
    const restart = (): void => {
      if (!this.stopped) setTimeout(() => this.watch(path), 1_000);
    };
    new Watch(this.options.kubeconfig)
      .watch(path, { allowWatchBookmarks: false }, () => this.kick(), restart)
      .then((controller) => this.watches.push(controller))
      .catch(restart);
  }

  kick(): void {
    if (this.stopped) return;
    if (this.reconciling) {
      this.again = true;
      return;
    }
    this.reconciling = true;
    this.reconcile()
      .catch((err: unknown) => this.options.log.warn({ err }, 'reconcile failed'))
      .finally(() => {
        this.reconciling = false;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private isOurNode(name: string | undefined): boolean {
    return this.nodes.some((node) => node.metadata?.name === name);
  }

  private async reconcile(): Promise<void> {
    const [pods, claims, volumes, nodes, services] = await Promise.all([
      this.core.listPodForAllNamespaces(),
      this.core.listPersistentVolumeClaimForAllNamespaces(),
      this.core.listPersistentVolume(),
      this.core.listNode(),
      this.core.listServiceForAllNamespaces(),
    ]);
    // Services must not hold back the pods: a failure is logged and retried at the next pass.
    await this.services
      .sync(services.items, pods.items)
      .catch((err: unknown) => this.options.log.warn({ err }, 'service proxy sync failed'));
    // Labels and taints as they are now: a test may taint or label a Node.
    const ours = nodes.items.filter((n) => this.isOurNode(n.metadata?.name));
    if (ours.length > 0) this.nodes = ours;
    const inOutage = new Set(
      nodes.items
        .filter((n) => this.isOurNode(n.metadata?.name) && nodeInOutage(n))
        .map((n) => n.metadata?.name ?? ''),
    );
    if ([...inOutage].join() !== [...this.inOutage].join()) {
      this.inOutage = inOutage;
      await reportNodesReady(this.core, this.options.zones, inOutage);
    }
    await provisionVolumes(this.core, claims.items, volumes.items, join(this.options.stateDir, 'volumes'));
    await reclaimVolumes(this.core, volumes.items);
    await resizeVolumes(this.core, claims.items, volumes.items);

    const podsPerNode = new Map<string, number>();
    for (const pod of pods.items) {
      const node = pod.spec?.nodeName;
      if (node) podsPerNode.set(node, (podsPerNode.get(node) ?? 0) + 1);
    }
    const seen = new Set<string>();
    for (const pod of pods.items) {
      const uid = pod.metadata?.uid ?? '';
      seen.add(uid);
      if (!pod.spec?.nodeName) {
        if (
          !pod.metadata?.deletionTimestamp &&
          (pod.spec?.schedulerName ?? 'default-scheduler') === 'default-scheduler'
        ) {
          await this.schedule(pod, claims.items, podsPerNode);
        }
        continue;
      }
      if (!this.isOurNode(pod.spec.nodeName)) continue;
      const runtime = this.runtimes.get(uid);
      if (this.inOutage.has(pod.spec.nodeName)) {
        // A lost node runs nothing and reports nothing, deletions included.
        if (runtime) await this.powerOff(pod, runtime);
        continue;
      }
      if (pod.metadata?.deletionTimestamp) {
        if (!runtime?.stopping) void this.terminate(pod, runtime);
        continue;
      }
      if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
      const current = runtime ?? this.track(pod);
      this.drive(pod, current);
      await this.syncStatus(pod, current);
    }
    // Pods removed without a graceful deletion (force delete): stop their process.
    for (const [uid, runtime] of this.runtimes) {
      if (!seen.has(uid) && !runtime.stopping) void this.terminate(undefined, runtime);
    }
  }

  private async schedule(
    pod: V1Pod,
    claims: readonly V1PersistentVolumeClaim[],
    podsPerNode: Map<string, number>,
  ): Promise<void> {
    const namespace = pod.metadata?.namespace ?? 'default';
    const name = pod.metadata?.name ?? '';
    let unschedulable: string | undefined;
    // Only brokers run here: the operator's own Deployment (installed by the chart) stays
    // Pending, and a test starts the operator as a process, as that Deployment describes.
    try {
      kafkaVersionFromImage(pod.spec?.containers[0]?.image ?? '', this.options.kafkaVersions);
    } catch (err) {
      unschedulable = `the test node agent runs only Kafka broker pods: ${(err as Error).message}`;
    }
    for (const volume of pod.spec?.volumes ?? []) {
      const claimName = volume.persistentVolumeClaim?.claimName;
      if (claimName === undefined) continue;
      const claim = claims.find((c) => c.metadata?.namespace === namespace && c.metadata?.name === claimName);
      if (claim === undefined) unschedulable = `persistentvolumeclaim "${claimName}" not found`;
      else if (claim.status?.phase !== 'Bound')
        unschedulable = 'pod has unbound immediate PersistentVolumeClaims';
    }
    const available = this.nodes.filter((n) => !this.inOutage.has(n.metadata?.name ?? ''));
    const node = unschedulable === undefined ? chooseNode(available, pod, podsPerNode) : undefined;
    if (unschedulable === undefined && node === undefined) {
      const tainted = available.filter((n) => untoleratedTaints(n, pod).length > 0).length;
      unschedulable = `0/${this.nodes.length} nodes are available: ${tainted > 0 ? `${tainted} node(s) had untolerated taints, ` : ''}${available.length - tainted} node(s) didn't match Pod's node affinity/selector.`;
    }
    if (node !== undefined) {
      const nodeName = node.metadata?.name ?? '';
      await this.core.createNamespacedPodBinding({
        name,
        namespace,
        body: { metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: nodeName } },
      });
      podsPerNode.set(nodeName, (podsPerNode.get(nodeName) ?? 0) + 1);
      this.options.log.info({ pod: `${namespace}/${name}`, node: nodeName }, 'bound pod');
      return;
    }
    const condition = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (condition?.status === 'False' && condition.message === unschedulable) return;
    await this.core.patchNamespacedPodStatus(
      {
        name,
        namespace,
        body: {
          status: {
            phase: 'Pending',
            conditions: [
              {
                type: 'PodScheduled',
                status: 'False',
                reason: 'Unschedulable',
                message: unschedulable,
                lastTransitionTime: new Date(),
              },
            ],
          },
        },
      },
      mergePatch,
    );
    this.options.log.info({ pod: `${namespace}/${name}`, reason: unschedulable }, 'pod unschedulable');
  }

  private track(pod: V1Pod): PodRuntime {
    const namespace = pod.metadata?.namespace ?? 'default';
    const name = pod.metadata?.name ?? '';
    const uid = pod.metadata?.uid ?? '';
    const runtime: PodRuntime = {
      uid,
      namespace,
      name,
      hostname: pod.spec?.hostname,
      subdomain: pod.spec?.subdomain,
      podIP: this.ips.addressOf(namespace, name),
      dir: join(this.options.stateDir, 'pods', namespace, `${name}-${uid.slice(0, 8)}`),
      startTime: new Date(),
      stopping: false,
      restartCount: 0,
      crashes: 0,
      nextStartAt: 0,
    };
    this.runtimes.set(uid, runtime);
    this.writeHosts();
    return runtime;
  }

  private writeHosts(): void {
    const text = hostsFileText(
      [...this.runtimes.values()].map((r) => ({
        namespace: r.namespace,
        hostname: r.hostname,
        subdomain: r.subdomain,
        podIP: r.podIP,
      })),
    );
    if (text === this.lastHosts && existsSync(this.hostsFile)) return;
    writeFileSync(`${this.hostsFile}.tmp`, text);
    renameSync(`${this.hostsFile}.tmp`, this.hostsFile);
    this.lastHosts = text;
  }

  /** Starts the container when it is not running and its back-off has passed. */
  private drive(pod: V1Pod, runtime: PodRuntime): void {
    if (runtime.starting || runtime.stopping) return;
    if (runtime.process !== undefined && !runtime.process.exited) return;
    if (runtime.process?.exited && (pod.spec?.restartPolicy ?? 'Always') === 'Never') return;
    if (Date.now() < runtime.nextStartAt) return;
    runtime.starting = this.startContainer(pod, runtime).finally(() => {
      runtime.starting = undefined;
      this.kick();
    });
  }

  private async startContainer(pod: V1Pod, runtime: PodRuntime): Promise<void> {
    const log = this.options.log.child({ pod: `${runtime.namespace}/${runtime.name}` });
    try {
      const launch = await this.prepareLaunch(pod, runtime);
      const process = new KafkaProcess(launch);
      if (runtime.process?.exited) runtime.restartCount += 1;
      runtime.process = process;
      runtime.waiting = undefined;
      await process.start();
      log.info({ version: launch.version, pid: process.pid, podIP: runtime.podIP }, 'started Kafka');
      process.onExit(() => {
        const finishedAt = new Date();
        runtime.lastTerminated = {
          exitCode: process.exitCode ?? 1,
          reason: process.exitCode === 0 ? 'Completed' : 'Error',
          startedAt: process.startedAt,
          finishedAt,
        };
        // A container that ran a while resets the back-off, as the kubelet's does.
        runtime.crashes =
          finishedAt.getTime() - process.startedAt.getTime() > 60_000 ? 1 : runtime.crashes + 1;
        runtime.nextStartAt = Date.now() + Math.min(1_000 * 2 ** (runtime.crashes - 1), maxBackoffMs);
        if (!runtime.stopping) log.warn({ exitCode: process.exitCode }, 'Kafka exited; will restart');
        this.kick();
      });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const reason =
        err instanceof UnsupportedImageError
          ? 'ErrImagePull'
          : err instanceof PodConfigError
            ? 'CreateContainerConfigError'
            : 'RunContainerError';
      runtime.waiting = { reason, message };
      runtime.nextStartAt = Date.now() + 2_000;
      log.warn({ reason, message }, 'cannot start container');
    }
  }

  private async prepareLaunch(pod: V1Pod, runtime: PodRuntime) {
    const containers = pod.spec?.containers ?? [];
    const container = containers[0];
    if (container === undefined || containers.length > 1 || (pod.spec?.initContainers?.length ?? 0) > 0) {
      throw new PodConfigError(
        'the test node agent runs pods with exactly one container and no init containers',
      );
    }
    const version = kafkaVersionFromImage(container.image ?? '', this.options.kafkaVersions);
    const namespace = runtime.namespace;
    const load = async (
      names: (string | undefined)[],
      read: (name: string) => Promise<Record<string, string> | undefined>,
    ): Promise<Map<string, Record<string, string>>> => {
      const loaded = new Map<string, Record<string, string>>();
      for (const name of new Set(names)) {
        const data = name ? await read(name) : undefined;
        if (name && data) loaded.set(name, data);
      }
      return loaded;
    };
    const configMaps = await load(
      [
        ...(container.envFrom ?? []).map((f) => f.configMapRef?.name),
        ...(container.env ?? []).map((e) => e.valueFrom?.configMapKeyRef?.name),
      ],
      (name) => configMapData(this.core, namespace, name),
    );
    const secrets = await load(
      [
        ...(container.envFrom ?? []).map((f) => f.secretRef?.name),
        ...(container.env ?? []).map((e) => e.valueFrom?.secretKeyRef?.name),
      ],
      (name) => secretData(this.core, namespace, name),
    );
    const env = resolveEnv(
      pod,
      container,
      { podIP: runtime.podIP, hostIP, nodeName: pod.spec?.nodeName ?? '' },
      { configMaps, secrets },
    );

    const volumeDirs = new Map<string, string>();
    for (const volume of pod.spec?.volumes ?? []) {
      volumeDirs.set(
        volume.name,
        await volumeHostDir(this.core, pod, volume, runtime.dir, this.options.imageVolumes),
      );
    }
    const mounts: PathMapping[] = (container.volumeMounts ?? []).map((mount) => {
      const dir = volumeDirs.get(mount.name);
      if (dir === undefined) throw new PodConfigError(`volumeMount "${mount.name}" names no volume`);
      return { containerPath: mount.mountPath, hostPath: mount.subPath ? join(dir, mount.subPath) : dir };
    });
    // Paths outside every mount live in the container's own (per-pod) filesystem.
    const rootfs = join(runtime.dir, 'rootfs');
    const allPaths = [...mounts, { containerPath: '/', hostPath: rootfs }];

    const baseFile = hostPathFor(baseConfigPath, mounts);
    const base =
      baseFile !== undefined && existsSync(baseFile)
        ? parseProperties(readFileSync(baseFile, 'utf8'))
        : // The image's default single-node configuration keeps its logs in /tmp.
          new Map([['log.dirs', '/tmp/kraft-combined-logs']]);
    const properties = mapPropertyPaths(mergeEnvIntoProperties(base, env), allPaths);
    // Faster than Kafka's defaults where the pod does not say (see tools/testenv/README.md).
    for (const [key, value] of Object.entries(testenvBrokerDefaults))
      if (!properties.has(key)) properties.set(key, value);
    const logDirs = ['log.dirs', 'log.dir', 'metadata.log.dir'].flatMap(
      (key) => properties.get(key)?.split(',') ?? [],
    );
    for (const dir of logDirs) mkdirSync(dir, { recursive: true });
    return {
      version,
      libsDir: this.options.kafkaLibsDir(version),
      workDir: join(runtime.dir, 'container'),
      properties: renderProperties(properties),
      clusterId: env.get('CLUSTER_ID'),
      logDirs,
      heapOpts: env.get('KAFKA_HEAP_OPTS'),
      extraJavaOpts: mapJavaOptionPaths(env.get('KAFKA_OPTS'), allPaths),
      hostsFile: this.hostsFile,
      logFile: join(this.options.stateDir, 'logs', `${runtime.namespace}_${runtime.name}.log`),
      cdsArchive: join(this.options.stateDir, 'class-data', `kafka-${version}.jsa`),
    };
  }

  private async containerPhase(pod: V1Pod, runtime: PodRuntime): Promise<ContainerPhase> {
    const process = runtime.process;
    if (runtime.waiting) return { kind: 'waiting', ...runtime.waiting };
    if (process === undefined || runtime.starting) {
      return { kind: 'waiting', reason: 'ContainerCreating', message: '' };
    }
    if (process.exited) {
      const delay = Math.max(0, Math.round((runtime.nextStartAt - Date.now()) / 1000));
      return {
        kind: 'waiting',
        reason: 'CrashLoopBackOff',
        message: `back-off ${delay}s restarting failed container`,
      };
    }
    const container = pod.spec?.containers[0];
    const ready =
      process.started &&
      container !== undefined &&
      (await probeReady(container, container.readinessProbe, runtime.podIP));
    return { kind: 'running', startedAt: process.startedAt, ready };
  }

  private async syncStatus(pod: V1Pod, runtime: PodRuntime): Promise<void> {
    const container = pod.spec?.containers[0];
    const status = buildPodStatus(
      {
        podIP: runtime.podIP,
        hostIP,
        startTime: runtime.startTime,
        container: {
          name: container?.name ?? '',
          image: container?.image ?? '',
          phase: await this.containerPhase(pod, runtime),
          restartCount: runtime.restartCount,
          ...(runtime.lastTerminated ? { lastTerminated: runtime.lastTerminated } : {}),
        },
      },
      pod.status,
      new Date(),
    );
    if (runtime.lastStatus !== undefined && sameStatus(runtime.lastStatus, status)) return;
    await this.core.patchNamespacedPodStatus(
      { name: runtime.name, namespace: runtime.namespace, body: { status } },
      mergePatch,
    );
    runtime.lastStatus = JSON.parse(JSON.stringify(status)) as object;
  }

  /**
   * A pod on a lost node: its broker is killed at once, and the pod marked
   * unready as the node lifecycle controller does for an unreachable node.
   * The container starts again (restart count up) when the node is back.
   */
  private async powerOff(pod: V1Pod, runtime: PodRuntime): Promise<void> {
    if (runtime.process && !runtime.process.exited) {
      await runtime.process.kill();
      this.options.log.warn({ pod: `${runtime.namespace}/${runtime.name}` }, 'node lost: broker killed');
    }
    const conditions = (pod.status?.conditions ?? []).map((c) =>
      c.type === 'Ready' || c.type === 'ContainersReady'
        ? c.status === 'False'
          ? c
          : { ...c, status: 'False', reason: 'NodeNotReady', lastTransitionTime: new Date() }
        : c,
    );
    if (conditions.every((c, i) => c === pod.status?.conditions?.[i])) return;
    await this.core.patchNamespacedPodStatus(
      { name: runtime.name, namespace: runtime.namespace, body: { status: { conditions } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    runtime.lastStatus = undefined;
  }

  /** Graceful deletion: SIGTERM within the grace period, then remove the pod object. */
  private async terminate(pod: V1Pod | undefined, runtime: PodRuntime | undefined): Promise<void> {
    if (runtime) runtime.stopping = true;
    const grace = pod?.metadata?.deletionGracePeriodSeconds ?? pod?.spec?.terminationGracePeriodSeconds ?? 30;
    try {
      if (runtime) {
        await runtime.starting;
        await runtime.process?.stop(grace);
        rmSync(runtime.dir, { recursive: true, force: true });
        this.runtimes.delete(runtime.uid);
        this.writeHosts();
      }
      if (pod?.metadata?.name) {
        await this.core.deleteNamespacedPod({
          name: pod.metadata.name,
          namespace: pod.metadata.namespace ?? 'default',
          // In the body: the API server reads the options from the body when there is one.
          body: { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } },
        });
        this.options.log.info({ pod: `${pod.metadata.namespace}/${pod.metadata.name}` }, 'pod terminated');
      }
    } catch (err) {
      if ((err as { code?: number }).code !== 404 && (err as { code?: number }).code !== 409) {
        if (runtime) runtime.stopping = false; // try again on the next pass
        this.options.log.warn({ err }, 'terminating pod failed');
      }
    }
  }
}
