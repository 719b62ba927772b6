// `npm run demo`: starts the local environment and prints its addresses.
// Until the operator exists this is all the demo does; it keeps running and
// stops the environment on Ctrl-C (or SIGTERM).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const cli = join(import.meta.dirname, 'testenv', 'cli.ts');
const testenv = (command: string): number =>
  spawnSync(process.execPath, [cli, command], { stdio: 'inherit' }).status ?? 1;

if (testenv('up') !== 0) process.exit(1);
console.log('\nThe local environment is up. The operator is not built yet; press Ctrl-C to stop everything.');

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  console.log('\nStopping the local environment...');
  process.exit(testenv('down'));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
setInterval(() => undefined, 60_000);
