import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  abandonedBackups,
  backupId,
  backupKeys,
  clusterPrefix,
  expiredBackups,
  globMatches,
  parseBackupId,
  planRestore,
  quantityBytes,
  selectRecordTopics,
  type ClusterMetadataBackup,
} from '../../../src/domain/backup.ts';

describe('backup ids', () => {
  it('name the cluster and the start to the second, and parse back', () => {
    const at = new Date('2026-11-26T23:05:01.789Z');
    assert.equal(backupId('orders-eu', at), 'orders-eu-20261126-230501');
    assert.deepEqual(parseBackupId('orders-eu-20261126-230501'), {
      cluster: 'orders-eu',
      startedAt: new Date('2026-11-26T23:05:01Z'),
    });
  });

  it('refuse what is not an id', () => {
    for (const bad of ['orders', 'orders-20261126', 'Orders-20261126-230501', 'orders-20261326-230501', ''])
      assert.equal(parseBackupId(bad), undefined, bad);
  });

  it('live under <prefix>/<namespace>/<cluster>/<id>/', () => {
    const dir = clusterPrefix('/kafka/', 'shop', 'orders');
    assert.equal(dir, 'kafka/shop/orders/');
    assert.equal(clusterPrefix(undefined, 'shop', 'orders'), 'shop/orders/');
    const keys = backupKeys(dir, 'orders-20261126-230501');
    assert.equal(keys.manifest, 'kafka/shop/orders/orders-20261126-230501/manifest.json');
    assert.equal(
      keys.records('payments', 2),
      'kafka/shop/orders/orders-20261126-230501/records/payments/2.ndjson.gz',
    );
  });
});

describe('expiredBackups', () => {
  const day = 86_400_000;
  const now = new Date('2026-11-26T00:00:00Z');
  const backups = [0, 1, 2, 3, 4].map((daysAgo) => ({
    id: `b${daysAgo}`,
    startedAt: new Date(now.getTime() - daysAgo * day).toISOString(),
  }));

  it('keeps the newest keepLast', () => {
    assert.deepEqual(expiredBackups(backups, { keepLast: 3 }, now), ['b3', 'b4']);
    assert.deepEqual(expiredBackups([...backups].reverse(), { keepLast: 3 }, now), ['b3', 'b4']);
    assert.deepEqual(expiredBackups(backups, { keepLast: 10 }, now), []);
  });

  it('also deletes those older than maxAge', () => {
    assert.deepEqual(expiredBackups(backups, { keepLast: 10, maxAgeMs: 1.5 * day }, now), ['b2', 'b3', 'b4']);
  });

  it('never deletes the newest, however old', () => {
    assert.deepEqual(expiredBackups(backups.slice(3), { keepLast: 10, maxAgeMs: day }, now), ['b4']);
    assert.deepEqual(expiredBackups(backups.slice(4), { keepLast: 1, maxAgeMs: 1 }, now), []);
  });
});

describe('abandonedBackups', () => {
  it('are directories with no manifest, except the running backup', () => {
    assert.deepEqual(abandonedBackups(['a', 'b', 'c', 'd'], new Set(['a', 'c']), 'd'), ['b']);
    assert.deepEqual(abandonedBackups(['a'], new Set(['a']), 'z'), []);
  });
});

describe('selectRecordTopics', () => {
  const topics = ['orders-eu', 'orders-us', 'orders.v2', 'payments', 'audit'];

  it('takes names and * patterns, each topic once', () => {
    assert.deepEqual(selectRecordTopics(['orders-*', 'payments', 'orders-eu'], topics), {
      topics: ['orders-eu', 'orders-us', 'payments'],
      missing: [],
    });
    assert.deepEqual(selectRecordTopics(['*'], topics).topics, [...topics].sort());
  });

  it('treats dots and other regex characters literally', () => {
    assert.deepEqual(selectRecordTopics(['orders.v*'], topics).topics, ['orders.v2']);
    assert.deepEqual(selectRecordTopics(['orders.eu'], topics).missing, ['orders.eu']);
  });

  it('reports a plain name that matches nothing; a pattern may match nothing', () => {
    assert.deepEqual(selectRecordTopics(['paymnets', 'refunds-*'], topics), {
      topics: [],
      missing: ['paymnets'],
    });
  });
});

describe('globMatches', () => {
  const cases: [pattern: string, name: string, matches: boolean][] = [
    ['orders', 'orders', true],
    ['orders', 'orders-eu', false],
    ['*', '', true],
    ['orders-*', 'orders-', true],
    ['*-eu', 'orders-eu', true],
    ['*-eu', 'orders-us', false],
    ['o*s*s', 'orders', false],
    ['o*r*s', 'orders', true],
    ['a*a', 'a', false], // the prefix and the suffix may not share a character
    ['ab*ba', 'aba', false],
    ['*ab*ab*', 'xabyab', true],
    ['*ab*ab*', 'xaby', false],
    ['**', 'anything', true],
  ];
  for (const [pattern, name, matches] of cases) {
    it(`${matches ? 'matches' : 'does not match'} ${name || '""'} with ${pattern}`, () => {
      assert.equal(globMatches(pattern, name), matches);
    });
  }

  // Turned into a regular expression, this pattern took 111 s on a 60-character
  // name; a 249-character name and 60 stars would never end. Here it is at
  // most length × length character comparisons.
  it('answers at once for many stars against the longest topic name', () => {
    assert.equal(globMatches('*a*a*a*a*a*a*a*a*b', 'a'.repeat(60)), false);
    assert.equal(globMatches(`${'*a'.repeat(60)}*b`, 'a'.repeat(249)), false);
    assert.equal(globMatches(`${'*a'.repeat(60)}*b`, `${'a'.repeat(248)}b`), true);
  });
});

describe('planRestore', () => {
  const backup: ClusterMetadataBackup = {
    topics: [
      { name: 'orders', partitions: 3, replicationFactor: 3, configs: {} },
      { name: 'payments', partitions: 1, replicationFactor: 2, configs: { 'cleanup.policy': 'compact' } },
    ],
    acls: [
      {
        resourceType: 2,
        resourceName: 'orders',
        patternType: 3,
        principal: 'User:alice',
        host: '*',
        operation: 3,
        permissionType: 3,
      },
    ],
    groups: [
      { groupId: 'billing', offsets: [{ topic: 'orders', partition: 0, offset: '5', metadata: null }] },
    ],
    brokerConfigs: {},
  };
  const target = { topics: [] as string[], brokers: 3, aclsSupported: true, activeGroups: [] as string[] };

  it('creates every topic on an empty target', () => {
    const plan = planRestore(backup, target, { overwriteTopics: false });
    assert.deepEqual(plan.problems, []);
    assert.deepEqual(
      plan.create.map((t) => t.name),
      ['orders', 'payments'],
    );
    assert.deepEqual(plan.overwrite, []);
  });

  it('refuses existing topics unless asked to overwrite them', () => {
    const refused = planRestore(
      backup,
      { ...target, topics: ['payments', 'other'] },
      { overwriteTopics: false },
    );
    assert.equal(refused.problems.length, 1);
    assert.match(
      refused.problems[0] ?? '',
      /topics already exist in the target: payments \(.*--overwrite-topics/,
    );
    const overwriting = planRestore(
      backup,
      { ...target, topics: ['payments', 'other'] },
      { overwriteTopics: true },
    );
    assert.deepEqual(overwriting.problems, []);
    assert.deepEqual(overwriting.overwrite, ['payments']);
  });

  it('names every other reason the target cannot take the backup', () => {
    const plan = planRestore(
      backup,
      { topics: [], brokers: 2, aclsSupported: false, activeGroups: ['billing', 'other'] },
      { overwriteTopics: false },
    );
    assert.equal(plan.problems.length, 3);
    assert.match(plan.problems[0] ?? '', /2 broker\(s\), fewer than the replication factor of orders \(3\)/);
    assert.match(plan.problems[1] ?? '', /1 ACL\(s\) but the target has no authorizer/);
    assert.match(plan.problems[2] ?? '', /active members in the target: billing/);
  });

  it('does not need an authorizer for a backup without ACLs', () => {
    const plan = planRestore(
      { ...backup, acls: null },
      { ...target, aclsSupported: false },
      { overwriteTopics: false },
    );
    assert.deepEqual(plan.problems, []);
  });
});

describe('quantityBytes', () => {
  it('reads Kubernetes quantities', () => {
    assert.equal(quantityBytes('512Mi'), 512 * 2 ** 20);
    assert.equal(quantityBytes('2G'), 2e9);
    assert.equal(quantityBytes('1000'), 1000);
    assert.equal(quantityBytes('1.5Ki'), 1536);
    assert.throws(() => quantityBytes('lots'), /not a quantity/);
  });
});
