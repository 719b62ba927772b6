#!/usr/bin/env node
// The `keelson` command. Subcommands are added as the operator grows
// (operator, worker, watch, drill, backup, status).
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { crdFile, renderCrd } from './cli/crd.ts';
import { runClusterCommand } from './cli/cluster-commands.ts';
import { runWatcher } from './cli/watch.ts';
import { runWorker } from './cli/worker.ts';
import { defaultMaxConcurrentRolls } from './activities/index.ts';

const usage = `usage: keelson <command>

commands:
  crd [--write]   print the KafkaCluster CustomResourceDefinition generated from the schema;
                  --write updates ${crdFile} instead
  worker          run the workflows and activities until SIGTERM or SIGINT
                    --temporal-address ADDR   (env KEELSON_TEMPORAL_ADDRESS, default 127.0.0.1:7233)
                    --temporal-namespace NS   (env KEELSON_TEMPORAL_NAMESPACE, default default)
                    --task-queue NAME         (env KEELSON_TASK_QUEUE, default keelson)
                    --kubeconfig FILE         (env KUBECONFIG; in a pod, the in-cluster config)
                    --max-concurrent-rolls N  clusters of this task queue that may roll at once
                                              (env KEELSON_MAX_CONCURRENT_ROLLS, default 1)
  operator        run the watcher and the worker in one process (the usual way)
  watch           run only the watcher: signal each KafkaCluster's workflow when it changes
                    (both take the worker's flags, and --namespace NS, repeatable; default all)
  status NS/NAME  show what the cluster's workflow is doing
  pause NS/NAME   start no new operation until resumed (a running one finishes)
  resume NS/NAME  start operations again
  roll NS/NAME [--reason TEXT]
                  restart every node safely, one at a time, even if none is out of date
  drill start NS/NAME --zone ZONE [--hold DURATION]
                  failover drill: move leadership out of the zone, take its nodes down, hold
                  (default spec.drill.defaultHold) while checking produce/consume, fail back
  drill abort NS/NAME
                  stop the waiting or running drill (a running one fails back at once)
  drill status NS/NAME
                  the running drill and the report of the last one
                  (status, pause, resume, roll and drill take --temporal-address and --temporal-namespace)
  help            show this text`;

const temporalFlags = {
  'temporal-address': { type: 'string', default: process.env.KEELSON_TEMPORAL_ADDRESS ?? '127.0.0.1:7233' },
  'temporal-namespace': { type: 'string', default: process.env.KEELSON_TEMPORAL_NAMESPACE ?? 'default' },
} as const;

const [command, ...rest] = process.argv.slice(2);
switch (command) {
  case 'crd': {
    const { values } = parseArgs({ args: rest, options: { write: { type: 'boolean', default: false } } });
    if (values.write) writeFileSync(crdFile, renderCrd());
    else process.stdout.write(renderCrd());
    break;
  }
  case 'operator':
  case 'watch':
  case 'worker': {
    const { values } = parseArgs({
      args: rest,
      options: {
        ...temporalFlags,
        'task-queue': { type: 'string', default: process.env.KEELSON_TASK_QUEUE ?? 'keelson' },
        kubeconfig: { type: 'string', default: process.env.KUBECONFIG },
        namespace: {
          type: 'string',
          multiple: true,
          default: (process.env.KEELSON_NAMESPACES ?? '').split(',').filter(Boolean),
        },
        'max-concurrent-rolls': {
          type: 'string',
          default: process.env.KEELSON_MAX_CONCURRENT_ROLLS ?? String(defaultMaxConcurrentRolls),
        },
      },
    });
    const maxConcurrentRolls = Number(values['max-concurrent-rolls']);
    if (!Number.isInteger(maxConcurrentRolls) || maxConcurrentRolls < 1) {
      console.error(
        `keelson worker: --max-concurrent-rolls must be a whole number of at least 1, not "${values['max-concurrent-rolls']}"`,
      );
      process.exit(2);
    }
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    const common = {
      temporalAddress: values['temporal-address'],
      temporalNamespace: values['temporal-namespace'],
      taskQueue: values['task-queue'],
      kubeconfig: values.kubeconfig,
    };
    await Promise.all([
      command === 'watch' ? undefined : runWorker({ ...common, maxConcurrentRolls }, stopped),
      command === 'worker' ? undefined : runWatcher({ ...common, namespaces: values.namespace }, stopped),
    ]);
    break;
  }
  case 'status':
  case 'pause':
  case 'resume':
  case 'roll': {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        ...temporalFlags,
        reason: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    });
    if (values.help) {
      console.log(usage);
      break;
    }
    try {
      console.log(
        await runClusterCommand(command, positionals[0], {
          temporalAddress: values['temporal-address'],
          temporalNamespace: values['temporal-namespace'],
          ...(values.reason ? { reason: values.reason } : {}),
        }),
      );
    } catch (err) {
      console.error(`keelson ${command}: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    }
    break;
  }
  case 'drill': {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        ...temporalFlags,
        zone: { type: 'string' },
        hold: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    });
    const action = positionals[0];
    if (values.help || !['start', 'abort', 'status'].includes(action ?? '')) {
      if (!values.help) process.exitCode = 2;
      console.log(usage);
      break;
    }
    try {
      console.log(
        await runClusterCommand(
          `drill ${action}` as 'drill start' | 'drill abort' | 'drill status',
          positionals[1],
          {
            temporalAddress: values['temporal-address'],
            temporalNamespace: values['temporal-namespace'],
            ...(values.zone ? { zone: values.zone } : {}),
            ...(values.hold ? { hold: values.hold } : {}),
          },
        ),
      );
    } catch (err) {
      console.error(`keelson drill ${action}: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    }
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
