import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { processOptions } from '../../../src/cli/process-options.ts';

const options = (result: ReturnType<typeof processOptions>) => {
  if ('problems' in result) throw new Error(result.problems.join('; '));
  return result.options;
};

describe('processOptions', () => {
  it('has the documented defaults', () => {
    const o = options(processOptions('operator', {}, {}));
    assert.equal(o.temporalAddress, '127.0.0.1:7233');
    assert.equal(o.temporalNamespace, 'default');
    assert.equal(o.taskQueue, 'keelson');
    assert.deepEqual(o.namespaces, []);
    assert.equal(o.maxConcurrentRolls, 1);
    assert.equal(o.maxCachedWorkflows, 100);
    assert.equal(o.healthAddress, ':8080');
    assert.deepEqual(o.backupPolicy, { endpoints: [] });
    assert.deepEqual(o.leaderElection, {
      namespace: 'keelson-system',
      name: 'keelson-operator',
      leaseSeconds: 15,
    });
    assert.equal(o.temporalTls, undefined);
    assert.deepEqual(o.reconcilePolicy, {
      resyncIntervalMs: 300_000,
      retryInitialDelayMs: 30_000,
      retryMaxDelayMs: 600_000,
    });
  });

  it('takes the resync interval and retry delays as durations, from a flag or the environment', () => {
    const o = options(
      processOptions(
        'worker',
        { resyncInterval: '1m30s', retryMaxDelay: '1h' },
        { KEELSON_RETRY_INITIAL_DELAY: '5s', KEELSON_RESYNC_INTERVAL: '10m' },
      ),
    );
    assert.deepEqual(o.reconcilePolicy, {
      resyncIntervalMs: 90_000,
      retryInitialDelayMs: 5_000,
      retryMaxDelayMs: 3_600_000,
    });
    const refused = processOptions('worker', { resyncInterval: '5 minutes', retryInitialDelay: '0s' }, {});
    assert.ok('problems' in refused);
    assert.deepEqual(refused.problems, [
      '--resync-interval: "5 minutes" is not a duration such as 30s, 5m or 1h30m',
    ]);
    const tooShort = processOptions('worker', { retryInitialDelay: '0s' }, {});
    assert.ok('problems' in tooShort);
    assert.deepEqual(tooShort.problems, ['--retry-initial-delay must be at least 1s']);
  });

  it('takes the environment, and a flag over its variable', () => {
    const env = {
      KEELSON_TASK_QUEUE: 'from-env',
      KEELSON_NAMESPACES: 'a,b',
      KEELSON_BACKUP_ENDPOINTS: 'https://s3.example:9000',
      KEELSON_BACKUP_ROOT: '/var/backups',
      POD_NAMESPACE: 'ops',
      KEELSON_LEADER_ELECT: 'false',
    };
    const fromEnv = options(processOptions('operator', {}, env));
    assert.equal(fromEnv.taskQueue, 'from-env');
    assert.deepEqual(fromEnv.namespaces, ['a', 'b']);
    assert.deepEqual(fromEnv.backupPolicy, { endpoints: ['https://s3.example:9000'], root: '/var/backups' });
    assert.equal(fromEnv.leaderElection, undefined);
    const flagged = options(
      processOptions('operator', { taskQueue: 'from-flag', namespace: ['c'], leaderElect: true }, env),
    );
    assert.equal(flagged.taskQueue, 'from-flag');
    assert.deepEqual(flagged.namespaces, ['c']);
    assert.equal(flagged.leaderElection?.namespace, 'ops');
  });

  it('gives a lone worker no Lease, and turns TLS on when any TLS file is named', () => {
    assert.equal(options(processOptions('worker', {}, {})).leaderElection, undefined);
    assert.deepEqual(options(processOptions('worker', { temporalTlsCa: '/ca.pem' }, {})).temporalTls, {
      cert: undefined,
      key: undefined,
      ca: '/ca.pem',
      serverName: undefined,
    });
    assert.equal(options(processOptions('worker', { healthAddress: 'off' }, {})).healthAddress, undefined);
  });

  it('refuses bad values with every problem at once, naming the flag', () => {
    const result = processOptions(
      'operator',
      {
        maxConcurrentRolls: '0',
        leaseDuration: 'soon',
        temporalTlsCert: '/cert.pem',
        healthAddress: 'localhost',
        backupRoot: 'backups',
        backupEndpoint: ['ftp://x'],
      },
      {},
    );
    assert.ok('problems' in result);
    assert.deepEqual(result.problems, [
      '--max-concurrent-rolls must be a whole number of at least 1, not "0"',
      '--lease-duration must be a whole number of at least 3, not "soon"',
      '--temporal-tls-cert and --temporal-tls-key go together',
      '--health-address: "localhost" is not an address such as 0.0.0.0:8080 or :8080',
      '--backup-root must be an absolute, normalized path, not "backups"',
      '--backup-endpoint must be an http or https URL, not "ftp://x"',
    ]);
  });
});
