// The fake Nodes the agent stands for (one per zone) and the StorageClass
// whose volumes it provisions as host directories.
import {
  PatchStrategy,
  setHeaderOptions,
  type CoreV1Api,
  type StorageV1Api,
  type V1Node,
} from '@kubernetes/client-node';

export const zoneLabel = 'topology.kubernetes.io/zone';
export const storageClassName = 'keelson-local';
export const provisionerName = 'keelson.dev/testenv-local';
export const hostIP = '127.0.0.1';

export const nodeNameForZone = (zone: string): string => `node-${zone}`;

/**
 * Set to "true" on a Node to simulate losing it (a zone outage): its brokers
 * are killed and not restarted, the Node goes NotReady and its pods unready,
 * until the annotation is removed.
 */
export const outageAnnotation = 'testenv.keelson.dev/outage';

export const nodeInOutage = (node: V1Node): boolean =>
  node.metadata?.annotations?.[outageAnnotation] === 'true';

async function ignoreConflict(create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
  }
}

export async function registerNodes(core: CoreV1Api, zones: readonly string[]): Promise<V1Node[]> {
  const nodes: V1Node[] = [];
  for (const zone of zones) {
    const name = nodeNameForZone(zone);
    await ignoreConflict(() =>
      core.createNode({
        body: {
          metadata: {
            name,
            labels: {
              [zoneLabel]: zone,
              'topology.kubernetes.io/region': 'testenv',
              'kubernetes.io/hostname': name,
              'kubernetes.io/os': 'linux',
              'kubernetes.io/arch': 'amd64',
            },
          },
        },
      }),
    );
    nodes.push(await core.readNode({ name }));
  }
  return nodes;
}

/**
 * Reports every node Ready, called periodically as the kubelet's heartbeat;
 * a node in outage is reported the way the node lifecycle controller marks a
 * node whose kubelet stopped posting (Ready Unknown).
 */
export async function reportNodesReady(
  core: CoreV1Api,
  zones: readonly string[],
  inOutage: ReadonlySet<string> = new Set(),
): Promise<void> {
  const now = new Date();
  for (const zone of zones) {
    const down = inOutage.has(nodeNameForZone(zone));
    await core.patchNodeStatus(
      {
        name: nodeNameForZone(zone),
        body: {
          status: {
            addresses: [
              { type: 'InternalIP', address: hostIP },
              { type: 'Hostname', address: nodeNameForZone(zone) },
            ],
            capacity: { cpu: '2', memory: '24Gi', pods: '110' },
            allocatable: { cpu: '2', memory: '24Gi', pods: '110' },
            conditions: [
              {
                type: 'Ready',
                ...(down
                  ? {
                      status: 'Unknown',
                      reason: 'NodeStatusUnknown',
                      message: 'Kubelet stopped posting node status.',
                    }
                  : { status: 'True', reason: 'KeelsonTestenvAgent' }),
                lastHeartbeatTime: now,
                lastTransitionTime: now,
              },
            ],
            nodeInfo: {
              kubeletVersion: 'keelson-testenv',
              architecture: 'amd64',
              operatingSystem: 'linux',
              bootID: '',
              containerRuntimeVersion: 'keelson-testenv://java',
              kernelVersion: '',
              kubeProxyVersion: '',
              machineID: '',
              osImage: 'keelson-testenv',
              systemUUID: '',
            },
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }
}

/** A class the agent provisions too, whose volumes cannot grow: for tests of a refused expansion. */
export const fixedStorageClassName = 'keelson-local-fixed';
export const agentStorageClasses = [storageClassName, fixedStorageClassName];

export async function ensureStorageClass(storage: StorageV1Api): Promise<void> {
  for (const [name, expandable] of [
    [storageClassName, true],
    [fixedStorageClassName, false],
  ] as const) {
    await ignoreConflict(() =>
      storage.createStorageClass({
        body: {
          metadata: {
            name,
            ...(name === storageClassName
              ? { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }
              : {}),
          },
          provisioner: provisionerName,
          reclaimPolicy: 'Delete',
          volumeBindingMode: 'Immediate',
          allowVolumeExpansion: expandable,
        },
      }),
    );
  }
}
