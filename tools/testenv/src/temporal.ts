// The Temporal dev server of the test environment: SQLite persistence in
// .testenv/ (so workflows survive a restart of the server within one `up`),
// the web UI, and Keelson's search attributes. The SQLite file is new at every
// `up`, so registering the attributes with --search-attribute always applies.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { searchAttributes } from '../../../src/workflows/search-attributes.ts';
import { temporalBin } from './build.ts';
import { stateDir } from './paths.ts';
import { loopback, ports } from './ports.ts';
import { tcpOpen } from './net.ts';
import { startDaemon, waitFor } from './processes.ts';

export const temporalAddress = `${loopback}:${ports.temporal}`;
export const temporalUiUrl = `http://${loopback}:${ports.temporalUi}`;
export const temporalNamespace = 'default';

export async function startTemporal(): Promise<void> {
  const attributeFlags = Object.values(searchAttributes).flatMap((a) => [
    '--search-attribute',
    `${a.name}=${a.type}`,
  ]);
  startDaemon({
    name: 'temporal',
    command: temporalBin,
    args: [
      'server',
      'start-dev',
      '--ip',
      loopback,
      '--port',
      String(ports.temporal),
      '--ui-ip',
      loopback,
      '--ui-port',
      String(ports.temporalUi),
      '--http-port',
      String(ports.temporalHttp),
      '--metrics-port',
      String(ports.temporalMetrics),
      '--db-filename',
      join(stateDir, 'temporal.db'),
      '--namespace',
      temporalNamespace,
      '--log-level',
      'warn',
      // Hand the first activity of a workflow task back with the task's completion (no trip
      // through matching); the README recommends it for production servers too.
      '--dynamic-config-value',
      'system.enableActivityEagerExecution=true',
      ...attributeFlags,
    ],
  });
  await waitFor('the Temporal frontend', () => tcpOpen(loopback, ports.temporal), {
    timeoutMs: 60_000,
    daemon: 'temporal',
  });
  // The frontend accepts connections before the namespace is registered; the
  // CLI's describe succeeds only once it is usable.
  await waitFor(
    'the Temporal namespace',
    () =>
      new Promise<boolean>((resolve) =>
        execFile(
          temporalBin,
          [
            'operator',
            'namespace',
            'describe',
            '--address',
            temporalAddress,
            '--namespace',
            temporalNamespace,
          ],
          { timeout: 5_000 },
          (err) => resolve(err === null),
        ),
      ),
    { timeoutMs: 60_000, daemon: 'temporal' },
  );
}
