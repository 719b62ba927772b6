#!/usr/bin/env node
// The `keelson` command: the commands, their options and help are one table
// (src/cli/program.ts).
import './operator/compile-cache.ts';
import { CommanderError } from 'commander';
import { buildProgram } from './cli/program.ts';

const program = buildProgram();
const args = process.argv.slice(2);
try {
  if (args.length === 0) program.outputHelp();
  else await program.parseAsync(args, { from: 'user' });
} catch (err) {
  if (!(err instanceof CommanderError)) throw err;
  // Help asked for: done. A usage error (commander has printed it): exit code 2.
  process.exitCode = err.code === 'commander.helpDisplayed' || err.code === 'commander.help' ? 0 : 2;
}
