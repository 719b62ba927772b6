import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  KafkaClusterSpec,
  operatorOwnedConfigKeys,
  type KafkaClusterSpecInput,
} from '../../../src/crd/kafka-cluster.ts';
import { annotationKeys } from '../../../src/domain/labels.ts';
import {
  buildClusterManifests,
  buildExternalServices,
  clusterId,
  externalTlsHosts,
  nodeConfigHash,
} from '../../../src/domain/manifests/index.ts';
import { names } from '../../../src/domain/names.ts';
import { assignNodeIdBases, planNodes, planPoolLayouts, type KafkaNode } from '../../../src/domain/nodes.ts';
import { parseProperties } from '../../../tools/testenv/node-agent/kafka-config.ts';

const cluster = { name: 'orders', namespace: 'team', uid: '0f8fad5b-d9cb-469f-a165-70867728950e' };

const separatePools: KafkaClusterSpecInput = {
  kafkaVersion: '4.1.1',
  nodePools: [
    {
      name: 'controllers',
      roles: ['controller'],
      replicas: 3,
      zones: ['zone-a', 'zone-b', 'zone-c'],
      storage: { size: '1Gi' },
    },
    {
      name: 'brokers',
      roles: ['broker'],
      replicas: 4,
      zones: ['zone-a', 'zone-b', 'zone-c'],
      storage: { size: '10Gi', deleteClaim: true },
    },
  ],
};

function build(input: KafkaClusterSpecInput, bases: Record<string, number> = {}) {
  const spec = KafkaClusterSpec.parse(input);
  const nodes = planNodes(cluster.name, spec, assignNodeIdBases(spec.nodePools, bases));
  return { spec, nodes, manifests: buildClusterManifests(cluster, spec, nodes) };
}

const env = (pod: { spec?: { containers: { env?: { name: string; value?: string }[] }[] } }, name: string) =>
  pod.spec?.containers[0]?.env?.find((e) => e.name === name)?.value;

describe('planNodes', () => {
  it('gives each pool its own block of node ids and spreads its nodes over its zones in turn', () => {
    const { nodes } = build(separatePools);
    assert.deepEqual(
      nodes.map((n) => [n.podName, n.nodeId, n.zone]),
      [
        ['orders-controllers-0', 0, 'zone-a'],
        ['orders-controllers-1', 1, 'zone-b'],
        ['orders-controllers-2', 2, 'zone-c'],
        ['orders-brokers-0', 100, 'zone-a'],
        ['orders-brokers-1', 101, 'zone-b'],
        ['orders-brokers-2', 102, 'zone-c'],
        ['orders-brokers-3', 103, 'zone-a'],
      ],
    );
  });
  it('keeps the node ids of existing pools when a pool is added before them', () => {
    const bases = assignNodeIdBases([{ name: 'new' }, { name: 'brokers' }], { brokers: 0 });
    assert.deepEqual(bases, { new: 100, brokers: 0 });
  });
});

describe('planPoolLayouts', () => {
  const pool = (name: string, replicas: number, zones: string[]) => ({ name, replicas, zones });
  const first = planPoolLayouts([pool('brokers', 4, ['zone-a', 'zone-b'])], []);

  it('places a new pool round-robin over its zones', () => {
    assert.deepEqual(first, [
      { name: 'brokers', nodeIdBase: 0, nodeZones: ['zone-a', 'zone-b', 'zone-a', 'zone-b'] },
    ]);
  });

  it('keeps every existing node in its zone when a zone is added, and puts new nodes where fewest are', () => {
    const [grown] = planPoolLayouts([pool('brokers', 6, ['zone-a', 'zone-b', 'zone-c'])], first);
    // Round-robin over three zones would have moved nodes 2 and 3 (zone-c, zone-a).
    assert.deepEqual(grown?.nodeZones, ['zone-a', 'zone-b', 'zone-a', 'zone-b', 'zone-c', 'zone-c']);
  });

  it('keeps a node in a zone removed from the pool, where its volume is', () => {
    const [moved] = planPoolLayouts([pool('brokers', 4, ['zone-b', 'zone-c'])], first);
    assert.deepEqual(moved?.nodeZones, ['zone-a', 'zone-b', 'zone-a', 'zone-b']);
  });

  it('gives a node index that comes back after a scale-down its old zone (its kept claim is there)', () => {
    const [shrunk] = planPoolLayouts([pool('brokers', 2, ['zone-a', 'zone-b'])], first);
    const [regrown] = planPoolLayouts([pool('brokers', 4, ['zone-b', 'zone-a'])], shrunk ? [shrunk] : []);
    assert.deepEqual(regrown?.nodeZones, ['zone-a', 'zone-b', 'zone-a', 'zone-b']);
  });

  it("never gives a removed pool's node ids to a new pool while its nodes are left", () => {
    const known = planPoolLayouts([pool('old', 3, ['zone-a']), pool('keep', 3, ['zone-a'])], []);
    const swapped = planPoolLayouts(
      [pool('keep', 3, ['zone-a']), pool('new', 3, ['zone-a'])],
      known,
      (p) => p === 'old',
    );
    assert.deepEqual(
      swapped.map((p) => [p.name, p.nodeIdBase]),
      [
        ['keep', 100],
        ['new', 200],
        ['old', 0],
      ],
    );
    // Once none of its pods or claims is left, its block is free again.
    const freed = planPoolLayouts([pool('keep', 3, ['zone-a'])], swapped, () => false);
    assert.deepEqual(
      planPoolLayouts([pool('keep', 3, ['zone-a']), pool('later', 1, ['zone-a'])], freed).map(
        (p) => p.nodeIdBase,
      ),
      [100, 0],
    );
  });
});

describe('buildClusterManifests', () => {
  it('pins every pod to its zone', () => {
    const { manifests, nodes } = build(separatePools);
    manifests.pods.forEach((pod, i) => {
      const term =
        pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
          ?.nodeSelectorTerms[0];
      assert.deepEqual(term?.matchExpressions, [
        { key: 'topology.kubernetes.io/zone', operator: 'In', values: [nodes[i]?.zone] },
      ]);
    });
  });

  it("puts the pool template on its pods under Keelson's own settings, and spreads pods over hosts by default", () => {
    const input = structuredClone(separatePools);
    const brokers = input.nodePools[1];
    assert.ok(brokers);
    brokers.template = {
      jvm: { heap: '2g', options: ['-XX:+UseG1GC', '-Dexample=1'] },
      image: 'mirror.example.com/apache/kafka:4.1.1',
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'kafka', effect: 'NoSchedule' }],
      nodeAffinity: [{ key: 'disk', operator: 'In', values: ['ssd'] }],
      antiAffinity: 'required',
      priorityClassName: 'kafka',
      labels: { team: 'payments' },
      annotations: { 'example.com/owner': 'payments' },
      terminationGracePeriodSeconds: 300,
    };
    const { manifests } = build(input);
    const controller = manifests.pods[0];
    const broker = manifests.pods[3];
    assert.equal(env(broker ?? {}, 'KAFKA_HEAP_OPTS'), '-Xms2g -Xmx2g');
    assert.equal(env(broker ?? {}, 'KAFKA_OPTS'), '-XX:+UseG1GC -Dexample=1');
    assert.equal(broker?.spec?.containers[0]?.image, 'mirror.example.com/apache/kafka:4.1.1');
    assert.deepEqual(broker?.spec?.tolerations, brokers.template.tolerations);
    assert.equal(broker?.spec?.priorityClassName, 'kafka');
    assert.equal(broker?.spec?.terminationGracePeriodSeconds, 300);
    assert.equal(broker?.metadata?.labels?.team, 'payments');
    assert.equal(broker?.metadata?.labels?.['keelson.dev/cluster'], 'orders');
    assert.equal(broker?.metadata?.annotations?.['example.com/owner'], 'payments');
    const affinity = broker?.spec?.affinity;
    assert.deepEqual(
      affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0]?.matchExpressions?.slice(
        1,
      ),
      [{ key: 'disk', operator: 'In', values: ['ssd'] }],
    );
    assert.deepEqual(affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution, [
      {
        labelSelector: { matchLabels: { 'keelson.dev/cluster': 'orders' } },
        topologyKey: 'kubernetes.io/hostname',
      },
    ]);
    // The other pool keeps the defaults: the image of its version, a preferred spread, 120 s.
    assert.equal(controller?.spec?.containers[0]?.image, 'apache/kafka:4.1.1');
    assert.equal(env(controller ?? {}, 'KAFKA_HEAP_OPTS'), undefined);
    assert.equal(controller?.spec?.terminationGracePeriodSeconds, 120);
    assert.equal(
      controller?.spec?.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.[0]
        ?.podAffinityTerm.topologyKey,
      'kubernetes.io/hostname',
    );
  });

  it('configures listeners by role: brokers advertise their own address, controllers only listen on 9093', () => {
    const { manifests } = build(separatePools);
    const controller = manifests.pods[0];
    const broker = manifests.pods[3];
    assert.ok(controller && broker);
    assert.equal(env(controller, 'KAFKA_PROCESS_ROLES'), 'controller');
    assert.equal(env(controller, 'KAFKA_LISTENERS'), 'CONTROLLER://$(POD_IP):9093');
    assert.equal(env(controller, 'KAFKA_ADVERTISED_LISTENERS'), undefined);
    assert.equal(env(broker, 'KAFKA_PROCESS_ROLES'), 'broker');
    assert.equal(env(broker, 'KAFKA_NODE_ID'), '100');
    assert.equal(env(broker, 'KAFKA_LISTENERS'), 'PLAIN://$(POD_IP):9092');
    assert.equal(env(broker, 'KAFKA_ADVERTISED_LISTENERS'), 'PLAIN://$(POD_IP):9092');
    assert.equal(env(broker, 'KAFKA_BROKER_RACK'), 'zone-a');
    assert.equal(env(broker, 'CLUSTER_ID'), clusterId(cluster.uid));
  });

  it('lists only controllers as quorum voters, by their stable DNS names', () => {
    const { manifests } = build(separatePools);
    const voters = /controller\.quorum\.voters=(.*)/.exec(
      manifests.configMap.data?.['server.properties'] ?? '',
    )?.[1];
    assert.equal(
      voters,
      [0, 1, 2].map((i) => `${i}@orders-controllers-${i}.orders-nodes.team.svc.cluster.local:9093`).join(','),
    );
  });

  it('gives pods probes, a grace period, a non-root user, their claim and an owner', () => {
    const { manifests } = build(separatePools);
    const pod = manifests.pods[3];
    const container = pod?.spec?.containers[0];
    assert.equal(container?.image, 'apache/kafka:4.1.1');
    assert.deepEqual(container?.readinessProbe?.tcpSocket, { port: 9092 });
    assert.ok(container?.livenessProbe?.tcpSocket);
    assert.equal(pod?.spec?.securityContext?.runAsNonRoot, true);
    assert.equal(pod?.spec?.terminationGracePeriodSeconds, 120);
    assert.equal(pod?.spec?.volumes?.[0]?.persistentVolumeClaim?.claimName, 'data-orders-brokers-0');
    assert.equal(pod?.metadata?.ownerReferences?.[0]?.uid, cluster.uid);
    assert.equal(pod?.metadata?.ownerReferences?.[0]?.controller, true);
  });

  it('lets a claim outlive the cluster unless its pool asks for deleteClaim', () => {
    const { manifests } = build(separatePools);
    assert.equal(manifests.claims[0]?.metadata?.ownerReferences, undefined);
    assert.equal(manifests.claims[3]?.metadata?.ownerReferences?.[0]?.uid, cluster.uid);
    assert.deepEqual(manifests.claims[3]?.spec?.resources?.requests, { storage: '10Gi' });
  });

  it('derives the Kafka cluster id from the uid as 16 bytes in base64url', () => {
    assert.equal(
      clusterId(cluster.uid),
      Buffer.from(cluster.uid.replaceAll('-', ''), 'hex').toString('base64url'),
    );
  });

  it('never gives a cluster id starting with "-", which kafka-storage would take for an option', () => {
    for (const first of ['f8', 'f9', 'fa', 'fb']) {
      const id = clusterId(`${first}3a9c1e-0b7d-4f61-9a2e-5c8d7e6f1a20`);
      assert.equal(id.length, 22);
      assert.notEqual(id[0], '-');
    }
  });

  it('shortens names that would pass 63 characters, keeping them unique', () => {
    const long = 'a'.repeat(70);
    const a = names.nodePod(long, 'brokers', 1);
    const b = names.nodePod(`${long}b`, 'brokers', 1);
    assert.ok(a.length <= 63 && b.length <= 63);
    assert.notEqual(a, b);
    assert.match(a, /-brokers-1$/);
  });
});

describe('the JMX exporter', () => {
  it('mounts the agent from its image, binds it to the pod IP on the metrics port and puts its rules in the ConfigMap', () => {
    const templated = structuredClone(separatePools);
    if (templated.nodePools[1]) templated.nodePools[1].template = { jvm: { options: ['-XX:+UseG1GC'] } };
    const { manifests } = build({ ...templated, metrics: { jmxExporter: { enabled: true, port: 9500 } } });
    const broker = manifests.pods.find((p) => p.metadata?.name === 'orders-brokers-0');
    const container = broker?.spec?.containers[0];
    assert.deepEqual(broker?.spec?.volumes?.find((v) => v.name === 'jmx-exporter')?.image, {
      reference: 'keelson/jmx-exporter:1.0.1',
      pullPolicy: 'IfNotPresent',
    });
    assert.ok(
      container?.volumeMounts?.some((m) => m.mountPath === '/opt/keelson/jmx-exporter' && m.readOnly),
    );
    assert.ok(container?.ports?.some((p) => p.name === 'metrics' && p.containerPort === 9500));
    // The pool's own options first, then the agent; POD_IP is defined before KAFKA_OPTS.
    assert.equal(
      env(broker ?? {}, 'KAFKA_OPTS'),
      '-XX:+UseG1GC -javaagent:/opt/keelson/jmx-exporter/jmx_prometheus_javaagent.jar=$(POD_IP):9500:/mnt/shared/config/jmx-exporter.yaml',
    );
    const names = container?.env?.map((e) => e.name) ?? [];
    assert.ok(names.indexOf('POD_IP') < names.indexOf('KAFKA_OPTS'));
    assert.match(manifests.configMap.data?.['jmx-exporter.yaml'] ?? '', /lowercaseOutputName: true/);
  });
  it('leaves pods and the ConfigMap as they were when off', () => {
    const { manifests } = build(separatePools);
    assert.equal(manifests.configMap.data?.['jmx-exporter.yaml'], undefined);
    assert.ok(!manifests.pods.some((p) => p.spec?.volumes?.some((v) => v.name === 'jmx-exporter')));
  });
});

describe('external listeners', () => {
  const withExternal: KafkaClusterSpecInput = {
    ...separatePools,
    listeners: [
      { name: 'plain', port: 9092 },
      { name: 'np', port: 9095, type: 'nodeport', external: { bootstrapNodePort: 31000 } },
      {
        name: 'lb',
        port: 9096,
        type: 'loadbalancer',
        external: { brokers: [{ nodeId: 100, host: 'kafka-0.example.com', port: 443 }] },
      },
    ],
  };
  it('gives each external listener a bootstrap Service over every broker and one Service per broker', () => {
    const { spec, nodes } = build(withExternal);
    const services = buildExternalServices(cluster, spec, nodes);
    assert.deepEqual(
      services.map((s) => `${s.metadata?.name} ${s.spec?.type} ${JSON.stringify(s.spec?.selector)}`),
      [
        'orders-np-bootstrap NodePort {"keelson.dev/cluster":"orders","keelson.dev/broker":"true"}',
        ...[100, 101, 102, 103].map(
          (id) => `orders-np-${id} NodePort {"keelson.dev/cluster":"orders","keelson.dev/node-id":"${id}"}`,
        ),
        'orders-lb-bootstrap LoadBalancer {"keelson.dev/cluster":"orders","keelson.dev/broker":"true"}',
        ...[100, 101, 102, 103].map(
          (id) =>
            `orders-lb-${id} LoadBalancer {"keelson.dev/cluster":"orders","keelson.dev/node-id":"${id}"}`,
        ),
      ],
    );
    assert.equal(services[0]?.spec?.ports?.[0]?.nodePort, 31000);
  });
  it('advertises the node port on the node address, the balancer address, or the per-broker override', () => {
    const { spec, nodes } = build(withExternal);
    const found = nodes.map((n) => ({
      ...n,
      external: [
        { listener: 'np', port: 31000 + n.nodeId },
        { listener: 'lb', host: `127.251.0.${n.nodeId - 99}`, port: 9096, bootstrapHost: '127.251.0.9' },
      ],
    }));
    const pods = buildClusterManifests(cluster, spec, found).pods;
    assert.equal(
      env(pods[3] ?? {}, 'KAFKA_ADVERTISED_LISTENERS'),
      'PLAIN://$(POD_IP):9092,NP://$(HOST_IP):31100,LB://kafka-0.example.com:443',
    );
    assert.equal(
      env(pods[4] ?? {}, 'KAFKA_ADVERTISED_LISTENERS'),
      'PLAIN://$(POD_IP):9092,NP://$(HOST_IP):31101,LB://127.251.0.2:9096',
    );
    assert.equal(pods[4]?.spec?.containers[0]?.env?.[1]?.name, 'HOST_IP');
    assert.ok(
      !pods[0]?.spec?.containers[0]?.env?.some((e) => e.name === 'HOST_IP'),
      'a controller has no external listener',
    );
    // Only TLS listeners' hosts go into certificates: none here.
    assert.deepEqual(externalTlsHosts(spec, found[4] as KafkaNode), []);
    const tlsSpec = {
      ...spec,
      listeners: spec.listeners.map((l) => (l.name === 'lb' ? { ...l, tls: true } : l)),
    };
    assert.deepEqual(externalTlsHosts(tlsSpec, found[4] as KafkaNode), ['127.251.0.2', '127.251.0.9']);
  });
});

describe('nodeConfigHash', () => {
  const hashes = (input: KafkaClusterSpecInput): Map<string, string> => {
    const { manifests } = build(input);
    return new Map(
      manifests.pods.map((p) => [
        p.metadata?.name ?? '',
        p.metadata?.annotations?.[annotationKeys.configHash] ?? '',
      ]),
    );
  };
  const before = hashes(separatePools);
  const changed = (input: KafkaClusterSpecInput): string[] => {
    const after = hashes(input);
    return [...before.keys()].filter((name) => after.has(name) && after.get(name) !== before.get(name));
  };

  it('changes for every pod when the Kafka version changes', () => {
    assert.equal(changed({ ...separatePools, kafkaVersion: '3.9.1' }).length, 7);
  });
  it('changes for every pod when a static broker config changes', () => {
    assert.equal(changed({ ...separatePools, config: { 'num.partitions': 6 } }).length, 7);
  });
  it('does not change when only a dynamic broker config changes', () => {
    assert.deepEqual(changed({ ...separatePools, config: { 'log.retention.ms': 3_600_000 } }), []);
  });
  it('does not change existing pods when a broker is added', () => {
    const more = structuredClone(separatePools);
    if (more.nodePools[1]) more.nodePools[1].replicas = 5;
    assert.deepEqual(changed(more), []);
  });
  it("changes for the pool's pods only when its pod template changes, and not for an empty template", () => {
    const templated = structuredClone(separatePools);
    if (templated.nodePools[1]) templated.nodePools[1].template = { jvm: { heap: '2g' } };
    assert.deepEqual(changed(templated), [
      'orders-brokers-0',
      'orders-brokers-1',
      'orders-brokers-2',
      'orders-brokers-3',
    ]);
    const empty = structuredClone(separatePools);
    if (empty.nodePools[1]) empty.nodePools[1].template = {};
    assert.deepEqual(changed(empty), []);
  });
  it('changes for every pod when the JMX exporter is turned on, and not for metrics left off', () => {
    const on = { ...separatePools, metrics: { jmxExporter: { enabled: true } } };
    assert.equal(changed(on).length, 7);
    assert.deepEqual(changed({ ...separatePools, metrics: { jmxExporter: { enabled: false } } }), []);
  });
  it('changes only the pod whose own settings change', () => {
    const input = KafkaClusterSpec.parse(separatePools);
    const nodes = planNodes(cluster.name, input, assignNodeIdBases(input.nodePools, {}));
    const moved: KafkaNode[] = nodes.map((n) =>
      n.podName === 'orders-brokers-0' ? { ...n, zone: 'zone-c' } : n,
    );
    const pool = input.nodePools[1];
    assert.ok(pool);
    const differs = nodes.filter(
      (n, i) =>
        nodeConfigHash(cluster, input, nodes, n, pool) !==
        nodeConfigHash(cluster, input, moved, moved[i] as KafkaNode, pool),
    );
    assert.deepEqual(
      differs.map((n) => n.podName),
      ['orders-brokers-0'],
    );
  });
});

describe('server.properties', () => {
  // Values a spec could carry if admission were bypassed (an old CRD, a
  // direct etcd write): none of them may change what the operator owns.
  const hostile: Record<string, string> = {
    'a.ends.with.backslash': 'x\\',
    'b.has.line.break': 'zstd\nlog.dirs=/tmp/elsewhere',
    'c.has.carriage.return': 'y\rcontroller.quorum.voters=9@evil:9093',
    'd.leading.blank': ' padded',
  };
  it('keeps every operator-owned key as the operator set it, whatever the user values hold', () => {
    const { manifests } = build(separatePools);
    const plain = parseProperties(manifests.configMap.data?.['server.properties'] ?? '');
    const spec = KafkaClusterSpec.parse(separatePools);
    spec.config = hostile; // past zod, as if admission had been bypassed
    const nodes = planNodes(cluster.name, spec, assignNodeIdBases(spec.nodePools, {}));
    const written = buildClusterManifests(cluster, spec, nodes).configMap.data?.['server.properties'] ?? '';
    const read = parseProperties(written);
    for (const key of operatorOwnedConfigKeys.filter((k) => plain.has(k))) {
      assert.equal(read.get(key), plain.get(key), `${key} changed`);
    }
    for (const [key, value] of Object.entries(hostile)) assert.equal(read.get(key), value);
    assert.equal(read.size, plain.size + Object.keys(hostile).length);
  });
});

describe('buildDisruptionBudgets', () => {
  const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
    Object.entries(selector).every(([k, v]) => labels[k] === v);
  for (const [shape, input] of [
    ['separate controller and broker pools', separatePools],
    [
      'combined nodes',
      { ...separatePools, nodePools: [{ ...separatePools.nodePools[0], roles: ['controller', 'broker'] }] },
    ],
  ] as [string, KafkaClusterSpecInput][]) {
    it(`puts every pod under exactly one budget of one unavailable node (${shape})`, () => {
      const { manifests } = build(input);
      for (const pod of manifests.pods) {
        const budgets = manifests.disruptionBudgets.filter((b) =>
          selects(b.spec?.selector?.matchLabels ?? {}, pod.metadata?.labels ?? {}),
        );
        assert.equal(budgets.length, 1, `${pod.metadata?.name}: ${budgets.length} budgets`);
        assert.equal(budgets[0]?.spec?.maxUnavailable, 1);
      }
    });
  }
});
