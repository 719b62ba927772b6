#!/usr/bin/env node
// The `keelson` command. Subcommands are added as the operator grows
// (operator, worker, watch, drill, backup, status).
import './cli/compile-cache.ts';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
// Each command imports what it needs when it runs: start-up time and memory of the operator count.
import { splitAddress } from './operator/health-server.ts';
import { defaultMaxConcurrentRolls } from './domain/roll-limit.ts';
import { policyProblems } from './domain/backup-policy.ts';

const usage = `usage: keelson <command>

commands:
  crd [--write]   print the KafkaCluster CustomResourceDefinition generated from the schema;
                  --write updates deploy/crds/040-crd-kafkacluster.yaml instead
  bundle          build the workflow bundle into dist/ (workers otherwise build it at their first
                  start after a source change, which takes seconds)
  worker          run the workflows and activities until SIGTERM or SIGINT
                    --temporal-address ADDR   (env KEELSON_TEMPORAL_ADDRESS, default 127.0.0.1:7233)
                    --temporal-namespace NS   (env KEELSON_TEMPORAL_NAMESPACE, default default)
                    --task-queue NAME         (env KEELSON_TASK_QUEUE, default keelson)
                    --kubeconfig FILE         (env KUBECONFIG; in a pod, the in-cluster config)
                    --max-concurrent-rolls N  clusters of this task queue that may roll at once
                                              (env KEELSON_MAX_CONCURRENT_ROLLS, default 1)
                    --temporal-tls-cert FILE, --temporal-tls-key FILE   client certificate for mTLS
                    --temporal-tls-ca FILE    CA of the Temporal frontend (TLS on when any is given)
                    --temporal-tls-server-name NAME                   (env KEELSON_TEMPORAL_TLS_*)
                    --max-cached-workflows N  workflows kept in memory between tasks; the others are
                                              replayed when woken (env KEELSON_MAX_CACHED_WORKFLOWS,
                                              default 100)
                    --health-address HOST:PORT  /healthz, /readyz, /metrics (env
                                              KEELSON_HEALTH_ADDRESS, default :8080; off to disable)
                    --backup-endpoint URL     an S3 endpoint backups may use, repeatable (env
                                              KEELSON_BACKUP_ENDPOINTS=a,b; default none: AWS only)
                    --backup-root DIR         filesystem backup targets must lie under DIR, a volume
                                              every replica mounts (env KEELSON_BACKUP_ROOT; default
                                              none: filesystem targets are refused)
  operator        run the watcher and the worker in one process (the usual way)
  watch           run only the watcher: signal each KafkaCluster's workflow when it changes
                    (both take the worker's flags, and:)
                    --namespace NS            watch only NS, repeatable (env KEELSON_NAMESPACES=a,b;
                                              default all namespaces)
                    --no-leader-elect         watch without the Lease (env KEELSON_LEADER_ELECT=false)
                    --lease-namespace NS      (env KEELSON_LEASE_NAMESPACE or POD_NAMESPACE,
                                              default keelson-system)
                    --lease-name NAME         (env KEELSON_LEASE_NAME, default keelson-operator)
                    --lease-duration SECONDS  a dead leader's watch moves on after this long
                                              (env KEELSON_LEASE_DURATION, default 15)
                  SIGTERM or SIGINT stops cleanly: the Lease is given up, running activities
                  get 10 s to finish (else they retry on another worker)
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
  backup now NS/NAME [--wait]
                  take a backup now (through the cluster's backup schedule; one runs at a time);
                  --wait waits for it and prints its id and size
  backup list NS/NAME [--kubeconfig FILE]
                  the complete backups in the store of spec.backup.target, newest first
  backup drill NS/NAME [--wait]
                  restore drill (needs spec.backup.restoreDrill): restore the newest backup into a
                  scratch KafkaCluster, compare every partition's records and offsets and the group
                  offsets with the backup, delete the scratch cluster; the cluster itself is not
                  touched; --wait waits and prints what was compared
  restore BACKUP_ID --to NS/NAME [--from NS/NAME] [--overwrite-topics]
                  restore topics and their configs, records where the backup has them, ACLs and
                  consumer group offsets into a KafkaCluster, read from the target's
                  spec.backup.target; --from names the cluster the backup was taken of (default:
                  the cluster named in the id, in the target's namespace); existing topics are
                  refused unless --overwrite-topics (they are deleted and recreated); waits and
                  prints what it did
                  (status, pause, resume, roll, drill, backup now|drill and restore take
                  --temporal-address and --temporal-namespace)
  help            show this text`;

const temporalFlags = {
  'temporal-address': { type: 'string', default: process.env.KEELSON_TEMPORAL_ADDRESS ?? '127.0.0.1:7233' },
  'temporal-namespace': { type: 'string', default: process.env.KEELSON_TEMPORAL_NAMESPACE ?? 'default' },
} as const;

const [command, ...rest] = process.argv.slice(2);
switch (command) {
  case 'bundle': {
    await (await import('./cli/workflow-bundle.ts')).buildWorkflowBundle();
    console.error('keelson bundle: wrote dist/workflow-bundle.js');
    break;
  }
  case 'crd': {
    const { values } = parseArgs({ args: rest, options: { write: { type: 'boolean', default: false } } });
    const { crdFile, renderCrd } = await import('./cli/crd.ts');
    if (values.write) writeFileSync(crdFile, renderCrd());
    else process.stdout.write(renderCrd());
    break;
  }
  case 'operator':
  case 'watch':
  case 'worker': {
    const env = process.env;
    const { values } = parseArgs({
      args: rest,
      allowNegative: true,
      options: {
        ...temporalFlags,
        'temporal-tls-cert': { type: 'string', default: env.KEELSON_TEMPORAL_TLS_CERT },
        'temporal-tls-key': { type: 'string', default: env.KEELSON_TEMPORAL_TLS_KEY },
        'temporal-tls-ca': { type: 'string', default: env.KEELSON_TEMPORAL_TLS_CA },
        'temporal-tls-server-name': { type: 'string', default: env.KEELSON_TEMPORAL_TLS_SERVER_NAME },
        'task-queue': { type: 'string', default: env.KEELSON_TASK_QUEUE ?? 'keelson' },
        kubeconfig: { type: 'string', default: env.KUBECONFIG },
        namespace: {
          type: 'string',
          multiple: true,
          default: (env.KEELSON_NAMESPACES ?? '').split(',').filter(Boolean),
        },
        'max-concurrent-rolls': {
          type: 'string',
          default: env.KEELSON_MAX_CONCURRENT_ROLLS ?? String(defaultMaxConcurrentRolls),
        },
        'max-cached-workflows': { type: 'string', default: env.KEELSON_MAX_CACHED_WORKFLOWS ?? '100' },
        'health-address': { type: 'string', default: env.KEELSON_HEALTH_ADDRESS ?? ':8080' },
        'backup-endpoint': {
          type: 'string',
          multiple: true,
          default: (env.KEELSON_BACKUP_ENDPOINTS ?? '').split(',').filter(Boolean),
        },
        'backup-root': { type: 'string', default: env.KEELSON_BACKUP_ROOT },
        'leader-elect': { type: 'boolean', default: env.KEELSON_LEADER_ELECT !== 'false' },
        'lease-namespace': {
          type: 'string',
          default: env.KEELSON_LEASE_NAMESPACE ?? env.POD_NAMESPACE ?? 'keelson-system',
        },
        'lease-name': { type: 'string', default: env.KEELSON_LEASE_NAME ?? 'keelson-operator' },
        'lease-duration': { type: 'string', default: env.KEELSON_LEASE_DURATION ?? '15' },
      },
    });
    const wholeNumber = (
      flag: 'max-concurrent-rolls' | 'lease-duration' | 'max-cached-workflows',
      min: number,
    ): number => {
      const value = Number(values[flag]);
      if (!Number.isInteger(value) || value < min) {
        console.error(
          `keelson ${command}: --${flag} must be a whole number of at least ${min}, not "${values[flag]}"`,
        );
        process.exit(2);
      }
      return value;
    };
    const maxConcurrentRolls = wholeNumber('max-concurrent-rolls', 1);
    const leaseSeconds = wholeNumber('lease-duration', 3);
    const maxCachedWorkflows = wholeNumber('max-cached-workflows', 0);
    const tls = {
      cert: values['temporal-tls-cert'],
      key: values['temporal-tls-key'],
      ca: values['temporal-tls-ca'],
      serverName: values['temporal-tls-server-name'],
    };
    if (Boolean(tls.cert) !== Boolean(tls.key)) {
      console.error(`keelson ${command}: --temporal-tls-cert and --temporal-tls-key go together`);
      process.exit(2);
    }
    const backupPolicy = {
      endpoints: values['backup-endpoint'],
      ...(values['backup-root'] ? { root: values['backup-root'] } : {}),
    };
    for (const problem of policyProblems(backupPolicy)) {
      console.error(`keelson ${command}: ${problem}`);
      process.exit(2);
    }
    const healthAddress = values['health-address'] === 'off' ? undefined : values['health-address'];
    try {
      if (healthAddress) splitAddress(healthAddress);
    } catch (err) {
      console.error(`keelson ${command}: --health-address: ${(err as Error).message}`);
      process.exit(2);
    }
    const { runProcess } = await import('./cli/operator.ts');
    await runProcess({
      mode: command,
      temporalAddress: values['temporal-address'],
      temporalNamespace: values['temporal-namespace'],
      ...(Object.values(tls).some(Boolean) ? { temporalTls: tls } : {}),
      taskQueue: values['task-queue'],
      kubeconfig: values.kubeconfig,
      namespaces: values.namespace,
      maxConcurrentRolls,
      maxCachedWorkflows,
      backupPolicy,
      healthAddress,
      // A lone `keelson worker` does not watch, so it needs no Lease.
      leaderElection:
        values['leader-elect'] && command !== 'worker'
          ? { namespace: values['lease-namespace'], name: values['lease-name'], leaseSeconds }
          : undefined,
    });
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
      const { runClusterCommand } = await import('./cli/cluster-commands.ts');
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
      const { runClusterCommand } = await import('./cli/cluster-commands.ts');
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
  case 'backup':
  case 'restore': {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        ...temporalFlags,
        wait: { type: 'boolean', default: false },
        kubeconfig: { type: 'string', default: process.env.KUBECONFIG },
        to: { type: 'string' },
        from: { type: 'string' },
        'overwrite-topics': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
    const action = command === 'restore' ? 'restore' : `backup ${positionals[0] ?? ''}`;
    if (values.help || !['restore', 'backup now', 'backup list', 'backup drill'].includes(action)) {
      if (!values.help) process.exitCode = 2;
      console.log(usage);
      break;
    }
    const temporal = {
      temporalAddress: values['temporal-address'],
      temporalNamespace: values['temporal-namespace'],
    };
    try {
      const commands = await import('./cli/backup-commands.ts');
      console.log(
        action === 'backup now'
          ? await commands.backupNow(positionals[1], { ...temporal, wait: values.wait })
          : action === 'backup drill'
            ? await commands.restoreDrillNow(positionals[1], { ...temporal, wait: values.wait })
            : action === 'backup list'
              ? await commands.listClusterBackups(positionals[1], values.kubeconfig)
              : await commands.restore(positionals[0], {
                  ...temporal,
                  to: values.to,
                  from: values.from,
                  overwriteTopics: values['overwrite-topics'],
                }),
      );
    } catch (err) {
      console.error(`keelson ${action}: ${err instanceof Error ? err.message : String(err)}`);
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
