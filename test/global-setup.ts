// node:test global set-up for `npm test`: brings the local environment up
// (building and downloading on first use) unless it already runs, and takes it
// down afterwards only if this run started it, so a developer's running
// environment is reused and left alone.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const cli = join(import.meta.dirname, '..', 'tools', 'testenv', 'cli.ts');
let startedHere = false;

function testenv(command: string): number {
  const result = spawnSync(process.execPath, [cli, command], { stdio: ['ignore', 'ignore', 'inherit'] });
  return result.status ?? 1;
}

export function globalSetup(): void {
  if (testenv('status') === 0) return;
  const started = Date.now();
  if (testenv('up') !== 0) throw new Error('the test environment did not come up (see the messages above)');
  startedHere = true;
  process.stderr.write(`test environment up after ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

export function globalTeardown(): void {
  if (startedHere) testenv('down');
}
