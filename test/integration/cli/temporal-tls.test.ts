// The CLI against a Temporal frontend that requires mutual TLS: a TLS
// endpoint (HTTP/2 over TLS, client certificate required) in front of the
// local Temporal server. With the same --temporal-tls-* options as the
// operator, `keelson status` reaches the server (which answers that the
// cluster has no workflow); without a client certificate, or trusting
// another CA, the connection is refused before any request.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { createCa, issue } from '../../../src/activities/tls/pki.ts';
import { env } from '../../helpers/cluster.ts';

const mainScript = join(import.meta.dirname, '../../../src/main.ts');

describe('the CLI with a Temporal that requires mutual TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keelson-temporal-tls-'));
  const file = (name: string, content: string) => {
    writeFileSync(join(dir, name), content);
    return join(dir, name);
  };
  let server: Server;
  let address = '';
  const files: Record<string, string> = {};

  before(async () => {
    const ca = await createCa('temporal-ca', 1);
    const serving = await issue(ca, {
      commonName: 'temporal',
      dnsNames: ['temporal.test'],
      usage: 'server-and-client',
      validityDays: 1,
    });
    const client = await issue(ca, { commonName: 'keelson', dnsNames: [], usage: 'client', validityDays: 1 });
    const stranger = await createCa('stranger', 1);
    files.ca = file('ca.crt', ca.certificatePem);
    files.cert = file('client.crt', client.certificatePem);
    files.key = file('client.key', client.keyPem);
    files.strangerCa = file('stranger.crt', stranger.certificatePem);
    const [host, port] = env.temporal.address.split(':');
    server = createServer(
      {
        cert: serving.certificatePem,
        key: serving.keyPem,
        ca: ca.certificatePem,
        requestCert: true,
        rejectUnauthorized: true,
        ALPNProtocols: ['h2'],
      },
      (socket) => {
        const upstream = connect(Number(port), host ?? '127.0.0.1');
        socket.pipe(upstream).pipe(socket);
        const close = () => (socket.destroy(), upstream.destroy());
        socket.on('error', close);
        upstream.on('error', close);
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const keelson = (...args: string[]) =>
    new Promise<{ status: number; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        [mainScript, 'status', 'kafka/no-such-cluster', `--temporal-address=${address}`, ...args],
        { timeout: 60_000 },
        (err, _stdout, stderr) => resolve({ status: err ? 1 : 0, stderr }),
      ),
    );

  it('reaches the server with the client certificate, the CA and the server name', async () => {
    const { stderr } = await keelson(
      `--temporal-tls-ca=${files.ca}`,
      `--temporal-tls-cert=${files.cert}`,
      `--temporal-tls-key=${files.key}`,
      '--temporal-tls-server-name=temporal.test',
    );
    // The server's own answer: the connection and the request went through.
    assert.match(stderr, /not found/i);
  });

  it('is refused without a client certificate, and refuses a server of another CA', async () => {
    const noCert = await keelson(`--temporal-tls-ca=${files.ca}`, '--temporal-tls-server-name=temporal.test');
    assert.equal(noCert.status, 1);
    assert.match(noCert.stderr, /Failed to connect/);
    const otherCa = await keelson(
      `--temporal-tls-ca=${files.strangerCa}`,
      `--temporal-tls-cert=${files.cert}`,
      `--temporal-tls-key=${files.key}`,
      '--temporal-tls-server-name=temporal.test',
    );
    assert.equal(otherCa.status, 1);
    assert.match(otherCa.stderr, /Failed to connect/);
  });
});
