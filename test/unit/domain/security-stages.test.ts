import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KafkaClusterSpec, type KafkaClusterSpecInput } from '../../../src/crd/kafka-cluster.ts';
import { buildClusterManifests } from '../../../src/domain/manifests/index.ts';
import { assignNodeIdBases, planNodes } from '../../../src/domain/nodes.ts';
import {
  nextSecurityStage,
  operatorPort,
  operatorTls,
  plannedSecurityStage,
  withSecurityStage,
  type SecurityStage,
} from '../../../src/domain/tls.ts';
import { parseProperties } from '../../../tools/testenv/node-agent/kafka-config.ts';
import { minimalSpec } from '../../fixtures/kafka-cluster-specs.ts';

const cluster = { name: 'orders', namespace: 'team', uid: '0f8fad5b-d9cb-469f-a165-70867728950e' };

const upgraded: KafkaClusterSpecInput = {
  ...minimalSpec,
  listeners: [
    { name: 'plain', port: 9092 },
    { name: 'mtls', port: 9094, tls: true, authentication: { type: 'mtls' } },
  ],
  security: { authorization: { type: 'simple', superUsers: [] } },
};

/** What a node of one stage listens on, and what it connects to: port → protocol. */
function nodeAt(stage: SecurityStage) {
  const spec = withSecurityStage(KafkaClusterSpec.parse(upgraded), stage);
  const nodes = planNodes(cluster.name, spec, assignNodeIdBases(spec.nodePools, {}));
  const manifests = buildClusterManifests(cluster, spec, nodes);
  const properties = parseProperties(manifests.configMap.data?.['server.properties'] ?? '');
  const env = Object.fromEntries(
    (manifests.pods[0]?.spec?.containers[0]?.env ?? []).map((e) => [e.name, e.value ?? '']),
  );
  const protocols = new Map(
    (properties.get('listener.security.protocol.map') ?? '')
      .split(',')
      .map((p) => p.split(':') as [string, string]),
  );
  const listening = new Map(
    (env.KAFKA_LISTENERS ?? '').split(',').map((l) => {
      const [name = '', port = ''] = l.split(/:\/\/\$\(POD_IP\):/);
      return [Number(port), protocols.get(name)] as const;
    }),
  );
  const portOf = (name: string) =>
    [...(env.KAFKA_LISTENERS ?? '').matchAll(new RegExp(`${name}://\\$\\(POD_IP\\):(\\d+)`, 'g'))][0]?.[1];
  const controllerName = (properties.get('controller.listener.names') ?? '').split(',')[0] ?? '';
  const voterPort = Number(/:(\d+)(,|$)/.exec(properties.get('controller.quorum.voters') ?? '')?.[1]);
  const interBroker = properties.get('inter.broker.listener.name') ?? '';
  return {
    spec,
    properties,
    listening,
    /** The connections it opens: to the quorum and to the other brokers' replication listener. */
    connects: [
      { to: 'quorum', port: voterPort, protocol: protocols.get(controllerName) },
      { to: 'replicas', port: Number(portOf(interBroker)), protocol: protocols.get(interBroker) },
    ],
  };
}

const upgradePath: SecurityStage[] = ['plaintext', 'tls-added', 'tls-used', 'upgraded'];

describe('upgrading a plaintext cluster to TLS', () => {
  it('runs through three stages, each after the one before, and stays in the last', () => {
    assert.equal(plannedSecurityStage('plaintext', true), 'tls-added');
    assert.deepEqual(
      upgradePath.slice(1).map((s) => nextSecurityStage(s)),
      ['tls-used', 'upgraded', undefined],
    );
    assert.equal(plannedSecurityStage('tls-used', true), 'tls-used');
    assert.equal(plannedSecurityStage('upgraded', true), 'upgraded');
    // Created secured, or recorded before stages existed: secured from the start.
    assert.equal(plannedSecurityStage(undefined, true), 'secured');
    assert.equal(plannedSecurityStage(undefined, false), 'plaintext');
  });

  it('never cuts a node off mid-roll: whatever a node of one stage connects to, nodes of the stage before and after listen on, with the same protocol', () => {
    for (const [i, stage] of upgradePath.slice(1).entries()) {
      const before = nodeAt(upgradePath[i] as SecurityStage);
      const after = nodeAt(stage);
      for (const from of [before, after])
        for (const to of [before, after])
          for (const { to: what, port, protocol } of from.connects)
            assert.equal(
              to.listening.get(port),
              protocol,
              `${upgradePath[i]} → ${stage}: a node reaches ${what} on ${port} over ${protocol}`,
            );
    }
  });

  it('would cut nodes off if a plaintext cluster switched to TLS in one roll (what the stages avoid)', () => {
    const plaintext = nodeAt('plaintext');
    const secured = nodeAt('secured');
    const quorum = plaintext.connects[0];
    assert.notEqual(secured.listening.get(quorum?.port ?? 0), quorum?.protocol);
  });

  it('keeps Keelson on the plaintext listener until every node has the TLS one, and the authorizer off until the quorum is on TLS', () => {
    const stages = upgradePath.map((s) => nodeAt(s));
    assert.deepEqual(
      stages.map((n) => operatorPort(n.spec)),
      [9092, 9092, 9091, 9091],
    );
    assert.deepEqual(
      stages.map((n) => operatorTls(cluster, n.spec) !== null),
      [false, false, true, true],
    );
    assert.deepEqual(
      stages.map((n) => n.properties.has('authorizer.class.name')),
      [false, false, false, true],
    );
    // Ends with the plaintext controller port closed and only TLS toward the quorum.
    const last = stages[3];
    assert.equal(last?.listening.get(9093), undefined);
    assert.equal(last?.listening.get(9090), 'SSL');
  });
});
