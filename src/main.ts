#!/usr/bin/env node
// The `keelson` command. Subcommands are added as the operator grows
// (operator, worker, watch, drill, backup, status).
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { crdFile, renderCrd } from './cli/crd.ts';

const usage = `usage: keelson <command>

commands:
  crd [--write]   print the KafkaCluster CustomResourceDefinition generated from the schema;
                  --write updates ${crdFile} instead
  help            show this text`;

const [command, ...rest] = process.argv.slice(2);
switch (command) {
  case 'crd': {
    const { values } = parseArgs({ args: rest, options: { write: { type: 'boolean', default: false } } });
    if (values.write) writeFileSync(crdFile, renderCrd());
    else process.stdout.write(renderCrd());
    break;
  }
  case undefined:
  case 'help':
  case '--help':
  case '-h':
    console.log(usage);
    break;
  default:
    console.error(`keelson: unknown command "${command}"\n\n${usage}`);
    process.exitCode = 2;
}
