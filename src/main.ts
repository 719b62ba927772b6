#!/usr/bin/env node
// The `keelson` command. Subcommands are added as the operator grows
// (operator, worker, watch, drill, backup, status).
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { crdFile, renderCrd } from './cli/crd.ts';
import { runWorker } from './cli/worker.ts';

const usage = `usage: keelson <command>

commands:
  crd [--write]   print the KafkaCluster CustomResourceDefinition generated from the schema;
                  --write updates ${crdFile} instead
  worker          run the workflows and activities until SIGTERM or SIGINT
                    --temporal-address ADDR   (env KEELSON_TEMPORAL_ADDRESS, default 127.0.0.1:7233)
                    --temporal-namespace NS   (env KEELSON_TEMPORAL_NAMESPACE, default default)
                    --task-queue NAME         (env KEELSON_TASK_QUEUE, default keelson)
                    --kubeconfig FILE         (env KUBECONFIG; in a pod, the in-cluster config)
  help            show this text`;

const [command, ...rest] = process.argv.slice(2);
switch (command) {
  case 'crd': {
    const { values } = parseArgs({ args: rest, options: { write: { type: 'boolean', default: false } } });
    if (values.write) writeFileSync(crdFile, renderCrd());
    else process.stdout.write(renderCrd());
    break;
  }
  case 'worker': {
    const { values } = parseArgs({
      args: rest,
      options: {
        'temporal-address': {
          type: 'string',
          default: process.env.KEELSON_TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
        },
        'temporal-namespace': {
          type: 'string',
          default: process.env.KEELSON_TEMPORAL_NAMESPACE ?? 'default',
        },
        'task-queue': { type: 'string', default: process.env.KEELSON_TASK_QUEUE ?? 'keelson' },
        kubeconfig: { type: 'string', default: process.env.KUBECONFIG },
      },
    });
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    await runWorker(
      {
        temporalAddress: values['temporal-address'],
        temporalNamespace: values['temporal-namespace'],
        taskQueue: values['task-queue'],
        kubeconfig: values.kubeconfig,
      },
      stopped,
    );
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
