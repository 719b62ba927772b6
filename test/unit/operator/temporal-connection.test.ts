import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { temporalApiKey, temporalConnectionOptions } from '../../../src/operator/temporal-connection.ts';

describe('the Temporal connection options', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keelson-temporal-'));
  const file = (name: string, content: string) => (writeFileSync(join(dir, name), content), join(dir, name));

  it('are plain without TLS files or an API key', () => {
    assert.deepEqual(temporalConnectionOptions({ address: 'temporal:7233' }), { address: 'temporal:7233' });
  });

  it('read the CA, the client pair and the server name for mutual TLS', () => {
    const options = temporalConnectionOptions({
      address: 'temporal:7233',
      tls: {
        ca: file('ca.crt', 'CA'),
        cert: file('c.crt', 'CERT'),
        key: file('c.key', 'KEY'),
        serverName: 'frontend',
      },
    });
    assert.equal(typeof options.tls, 'object');
    const tls = options.tls as Exclude<typeof options.tls, true | undefined>;
    assert.equal(tls.serverNameOverride, 'frontend');
    assert.equal(tls.serverRootCACertificate?.toString(), 'CA');
    assert.deepEqual(
      [tls.clientCertPair?.crt.toString(), tls.clientCertPair?.key.toString()],
      ['CERT', 'KEY'],
    );
  });

  it('turn TLS on with an API key, read from a file before the environment', () => {
    assert.deepEqual(temporalConnectionOptions({ address: 'cloud:7233', apiKey: 'k' }), {
      address: 'cloud:7233',
      tls: true,
      apiKey: 'k',
    });
    assert.equal(temporalApiKey(file('key', 'from-file\n'), 'from-env'), 'from-file');
    assert.equal(temporalApiKey(undefined, 'from-env'), 'from-env');
    assert.equal(temporalApiKey(undefined, ''), undefined);
  });
});
