#!/usr/bin/env node
// The `keelson` command: the commands, their options and help are one table
// (src/cli/program.ts). Exit codes: 0 done, 1 the work failed, 2 a usage
// error (unknown command or flag, a missing or bad value); every error is one
// line on stderr, never a stack trace.
import './operator/compile-cache.ts';
import './kubernetes/lean-client-loading.ts';
import { CommanderError } from 'commander';
import { buildProgram } from './cli/program.ts';

// `keelson … | head`: a reader that stops early is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

const doneCodes = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);
const program = buildProgram();
const args = process.argv.slice(2);
try {
  if (args.length === 0) program.outputHelp();
  else await program.parseAsync(args, { from: 'user' });
} catch (err) {
  if (err instanceof CommanderError) {
    // Commander has printed the message (and the help hint).
    process.exitCode = doneCodes.has(err.code) ? 0 : 2;
  } else {
    const message = err instanceof Error ? err.message : String(err);
    console.error(`keelson: ${message.split('\n')[0]}`);
    process.exitCode = 1;
  }
}
