import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  hostPathFor,
  kafkaVersionFromImage,
  mapPropertyPaths,
  mergeEnvIntoProperties,
  parseProperties,
  renderProperties,
  propertyNameFromEnv,
  UnsupportedImageError,
  mapJavaOptionPaths,
} from '../../../tools/testenv/node-agent/kafka-config.ts';

describe('kafkaVersionFromImage', () => {
  const supported = ['3.9.1', '4.1.1'];
  it('takes the version from the tag of a kafka image', () => {
    assert.equal(kafkaVersionFromImage('apache/kafka:3.9.1', supported), '3.9.1');
    assert.equal(kafkaVersionFromImage('registry.local:5000/apache/kafka:4.1.1', supported), '4.1.1');
    assert.equal(kafkaVersionFromImage('apache/kafka:4.1.1@sha256:abc', supported), '4.1.1');
  });
  it('rejects images that are not Kafka or versions the environment lacks, naming both', () => {
    assert.throws(() => kafkaVersionFromImage('nginx:1.25', supported), UnsupportedImageError);
    assert.throws(
      () => kafkaVersionFromImage('apache/kafka:2.8.0', supported),
      /Kafka 2\.8\.0 is not available.*3\.9\.1, 4\.1\.1/,
    );
    assert.throws(() => kafkaVersionFromImage('apache/kafka', supported), /latest/);
  });
});

describe('propertyNameFromEnv', () => {
  it('decodes the apache/kafka image naming rules', () => {
    assert.equal(propertyNameFromEnv('KAFKA_NODE_ID'), 'node.id');
    assert.equal(
      propertyNameFromEnv('KAFKA_LISTENER_NAME_CONTROLLER_SASL__ENABLED'),
      'listener.name.controller.sasl_enabled',
    );
    assert.equal(propertyNameFromEnv('KAFKA_SOME___DASHED_NAME'), 'some-dashed.name');
  });
  it('leaves the variables the image reads itself and non-Kafka variables alone', () => {
    assert.equal(propertyNameFromEnv('KAFKA_HEAP_OPTS'), undefined);
    assert.equal(propertyNameFromEnv('KAFKA_OPTS'), undefined);
    assert.equal(propertyNameFromEnv('CLUSTER_ID'), undefined);
  });
});

describe('mergeEnvIntoProperties', () => {
  it('lets environment variables override the mounted file', () => {
    const base = parseProperties('# comment\nnode.id=7\nlog.dirs = /data\n\nprocess.roles=broker');
    const merged = mergeEnvIntoProperties(
      base,
      new Map([
        ['KAFKA_NODE_ID', '1'],
        ['POD_IP', '127.0.0.9'],
      ]),
    );
    assert.deepEqual(Object.fromEntries(merged), {
      'node.id': '1',
      'log.dirs': '/data',
      'process.roles': 'broker',
    });
  });
});

describe('parseProperties', () => {
  it('reads escapes and continued lines as java.util.Properties does', () => {
    const parsed = parseProperties(
      ['a=C:\\\\dir\\\\x', 'b = one \\', '   two', 'c:3', 'd 4', 'e=tab\\there', 'f=\\u0041'].join('\n'),
    );
    assert.deepEqual(Object.fromEntries(parsed), {
      a: 'C:\\dir\\x',
      b: 'one two',
      c: '3',
      d: '4',
      e: 'tab\there',
      f: 'A',
    });
  });
  it('reads back what renderProperties writes, backslashes and line breaks included', () => {
    const values = new Map([
      ['ends.with.backslash', 'x\\'],
      ['has.line.break', 'a\nlog.dirs=/elsewhere'],
      ['leading.blank', '  padded'],
    ]);
    assert.deepEqual(parseProperties(renderProperties(values)), values);
  });
});

describe('mapPropertyPaths', () => {
  const mounts = [
    { containerPath: '/var/lib/kafka/data', hostPath: '/host/pvc-1' },
    { containerPath: '/var/lib/kafka', hostPath: '/host/other' },
    { containerPath: '/', hostPath: '/host/rootfs' },
  ];
  it('maps each path through the longest matching mount', () => {
    const mapped = mapPropertyPaths(
      new Map([
        ['log.dirs', '/var/lib/kafka/data/a,/var/lib/kafka/b'],
        ['listeners', 'PLAINTEXT://1.2.3.4:9092'],
        ['ssl.keystore.location', '/etc/tls/keystore.p12'],
      ]),
      mounts,
    );
    assert.equal(mapped.get('log.dirs'), '/host/pvc-1/a,/host/other/b');
    assert.equal(mapped.get('listeners'), 'PLAINTEXT://1.2.3.4:9092');
    assert.equal(mapped.get('ssl.keystore.location'), '/host/rootfs/etc/tls/keystore.p12');
  });
  it('does not treat a sibling directory with a common prefix as inside a mount', () => {
    assert.equal(hostPathFor('/var/lib/kafka/database', mounts.slice(0, 1)), undefined);
  });
});

describe('mapJavaOptionPaths', () => {
  it('rewrites the paths of a Java agent and its config that lie under mounts, and leaves the rest', () => {
    const mounts = [
      { containerPath: '/opt/keelson/jmx-exporter', hostPath: '/cache/jmx-exporter/1.0.1' },
      { containerPath: '/mnt/shared/config', hostPath: '/pods/p/volumes/config' },
    ];
    assert.equal(
      mapJavaOptionPaths(
        '-XX:+UseG1GC -javaagent:/opt/keelson/jmx-exporter/agent.jar=127.0.0.5:9404:/mnt/shared/config/jmx.yaml -Dx=/etc/other',
        mounts,
      ),
      '-XX:+UseG1GC -javaagent:/cache/jmx-exporter/1.0.1/agent.jar=127.0.0.5:9404:/pods/p/volumes/config/jmx.yaml -Dx=/etc/other',
    );
    assert.equal(mapJavaOptionPaths(undefined, mounts), undefined);
  });
});
