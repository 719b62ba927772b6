import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { policyProblems, targetRefusal, type BackupPolicy } from '../../../src/domain/backup-policy.ts';

const policy: BackupPolicy = { root: '/var/backups', endpoints: ['https://minio.storage.svc:9000'] };

describe('targetRefusal', () => {
  it('takes a directory under the root, and the root itself', () => {
    assert.equal(targetRefusal({ filesystem: { path: '/var/backups/team-a' } }, policy), undefined);
    assert.equal(targetRefusal({ filesystem: { path: '/var/backups' } }, policy), undefined);
  });

  it('refuses a directory outside the root, however it is spelled', () => {
    for (const path of [
      '/var/backups/../../etc',
      '/var/backups-other',
      '/etc',
      'var/backups/x',
      '/var/backups/\0x',
    ])
      assert.match(
        targetRefusal({ filesystem: { path } }, policy) ?? '',
        /is not under the operator's backup root/,
        path,
      );
  });

  it('refuses every directory when the operator has no root', () => {
    assert.match(
      targetRefusal({ filesystem: { path: '/var/backups/x' } }, { endpoints: [] }) ?? '',
      /filesystem backup targets are off/,
    );
  });

  it('takes a configured endpoint by its origin, and AWS when no endpoint is given', () => {
    assert.equal(targetRefusal({ s3: { endpoint: 'https://minio.storage.svc:9000/' } }, policy), undefined);
    assert.equal(targetRefusal({ s3: { region: 'eu-central-1' } }, policy), undefined);
  });

  it('refuses any other endpoint: another host, port or scheme, credentials in the URL', () => {
    for (const endpoint of [
      'https://attacker.example',
      'https://minio.storage.svc:9001',
      'http://minio.storage.svc:9000',
      'https://user:pw@minio.storage.svc:9000',
      'file:///etc/passwd',
      'not a url',
    ])
      assert.match(
        targetRefusal({ s3: { endpoint } }, policy) ?? '',
        /is not one the operator may use/,
        endpoint,
      );
  });

  it('refuses a region that is not a region name (it becomes part of a host name)', () => {
    assert.match(
      targetRefusal({ s3: { region: 'x.attacker.example#' } }, policy) ?? '',
      /is not a region name/,
    );
  });
});

describe('policyProblems', () => {
  it('names a relative root and an endpoint that is not a URL', () => {
    assert.deepEqual(policyProblems(policy), []);
    assert.deepEqual(policyProblems({ root: 'backups', endpoints: ['ftp://x'] }), [
      '--backup-root must be an absolute, normalized path, not "backups"',
      '--backup-endpoint must be an http or https URL, not "ftp://x"',
    ]);
  });
});
