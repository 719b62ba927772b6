// The `keelson` command line as one table: each command with its arguments,
// options, help and handler (commander generates `keelson help` and
// `keelson <command> --help` from it). Handlers load what they need when
// they run: the operator's start-up time counts, and `keelson crd` should not
// load a Kafka client.
import { readFileSync, writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import type { ProcessMode } from '../operator/process.ts';
import {
  clusterRefArgument,
  durationArgument,
  parseClusterRef,
  reasonArgument,
  svgFileArgument,
  zoneArgument,
} from './arguments.ts';
import { outputOption, type OutputFormat } from './output-option.ts';
import { processOptions, type ProcessFlags } from './process-options.ts';

const packageVersion = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const env = process.env;

/** Runs a command's work, printing its result, or `keelson <command>: <why>` and exit code 1. */
async function report(command: string, work: () => Promise<string>): Promise<void> {
  try {
    console.log(await work());
  } catch (err) {
    // One line, whatever the error carries (a server's message may span several).
    const message = err instanceof Error ? err.message : String(err);
    console.error(`keelson ${command}: ${message.trim().replace(/\s*\n\s*/g, '; ')}`);
    process.exitCode = 1;
  }
}

const repeatable = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

interface TemporalFlags {
  temporalAddress: string;
  temporalNamespace: string;
  temporalTlsCert?: string;
  temporalTlsKey?: string;
  temporalTlsCa?: string;
  temporalTlsServerName?: string;
  temporalApiKeyFile?: string;
}

/** TLS and API key options to reach a secured Temporal: the same for the processes and the commands. */
function withTemporalTls(command: Command): Command {
  return command
    .option('--temporal-tls-cert <file>', 'client certificate for mTLS (env KEELSON_TEMPORAL_TLS_CERT)')
    .option('--temporal-tls-key <file>', 'its key (env KEELSON_TEMPORAL_TLS_KEY)')
    .option(
      '--temporal-tls-ca <file>',
      'CA of the Temporal frontend; TLS is on when any is given (env KEELSON_TEMPORAL_TLS_CA)',
    )
    .option(
      '--temporal-tls-server-name <name>',
      'server name to verify (env KEELSON_TEMPORAL_TLS_SERVER_NAME)',
    )
    .option(
      '--temporal-api-key-file <file>',
      'file holding a Temporal Cloud API key; turns TLS on (env KEELSON_TEMPORAL_API_KEY holds the key itself)',
    );
}

/** --temporal-address, --temporal-namespace and the TLS options, for the commands that talk to the Temporal server. */
function withTemporal(command: Command): Command {
  command
    .option(
      '--temporal-address <host:port>',
      'Temporal frontend (env KEELSON_TEMPORAL_ADDRESS)',
      env.KEELSON_TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    )
    .option(
      '--temporal-namespace <ns>',
      'Temporal namespace (env KEELSON_TEMPORAL_NAMESPACE)',
      env.KEELSON_TEMPORAL_NAMESPACE ?? 'default',
    );
  return withTemporalTls(command);
}

/** The commands reach Temporal as the operator does: the same TLS and API key options and variables. */
const temporal = (flags: TemporalFlags) => ({
  temporalAddress: flags.temporalAddress,
  temporalNamespace: flags.temporalNamespace,
  temporalTls: {
    cert: flags.temporalTlsCert ?? env.KEELSON_TEMPORAL_TLS_CERT,
    key: flags.temporalTlsKey ?? env.KEELSON_TEMPORAL_TLS_KEY,
    ca: flags.temporalTlsCa ?? env.KEELSON_TEMPORAL_TLS_CA,
    serverName: flags.temporalTlsServerName ?? env.KEELSON_TEMPORAL_TLS_SERVER_NAME,
  },
  temporalApiKeyFile: flags.temporalApiKeyFile,
});

function processCommand(program: Command, mode: ProcessMode, summary: string): void {
  const command = program
    .command(mode)
    .summary(summary)
    .description(
      `${summary}. Flags win over their environment variables. SIGTERM or SIGINT stops cleanly: the Lease is given up, running activities get 10 s to finish (else they retry on another worker).`,
    )
    .option(
      '--temporal-address <host:port>',
      'Temporal frontend (env KEELSON_TEMPORAL_ADDRESS, default 127.0.0.1:7233)',
    )
    .option(
      '--temporal-namespace <ns>',
      'Temporal namespace (env KEELSON_TEMPORAL_NAMESPACE, default default)',
    );
  withTemporalTls(command)
    .option('--task-queue <name>', 'task queue (env KEELSON_TASK_QUEUE, default keelson)')
    .option(
      '--register-search-attributes',
      "register Keelson's search attributes in the Temporal namespace when missing (default; env KEELSON_REGISTER_SEARCH_ATTRIBUTES)",
    )
    .option(
      '--tracing-endpoint <url>',
      'send OpenTelemetry traces to this OTLP/HTTP traces URL, e.g. http://otel-collector:4318/v1/traces (env KEELSON_TRACING_ENDPOINT; default off)',
    )
    .option(
      '--no-register-search-attributes',
      'only check them, and wait saying what to run (env KEELSON_REGISTER_SEARCH_ATTRIBUTES=false)',
    )
    .option('--kubeconfig <file>', 'kubeconfig (env KUBECONFIG; in a pod, the in-cluster config)')
    .option(
      '--max-concurrent-rolls <n>',
      'clusters of this task queue that may roll at once (env KEELSON_MAX_CONCURRENT_ROLLS, default 1)',
    )
    .option(
      '--max-cached-workflows <n>',
      'workflows kept in memory between tasks; the others are replayed when woken (env KEELSON_MAX_CACHED_WORKFLOWS, default 100)',
    )
    .option(
      '--health-address <host:port>',
      '/healthz, /readyz, /metrics; off to disable (env KEELSON_HEALTH_ADDRESS, default :8080)',
    )
    .option(
      '--backup-endpoint <url>',
      'an S3 endpoint backups may use, repeatable (env KEELSON_BACKUP_ENDPOINTS=a,b; default none: AWS only)',
      repeatable,
    )
    .option(
      '--backup-root <dir>',
      'filesystem backup targets must lie under this directory, a volume every replica mounts (env KEELSON_BACKUP_ROOT; default none: refused)',
    )
    .option(
      '--resync-interval <duration>',
      'look at every cluster this often without a change, putting back what was changed behind Keelson (env KEELSON_RESYNC_INTERVAL, default 5m)',
    )
    .option(
      '--retry-initial-delay <duration>',
      'wait before retrying an operation that failed or was blocked, doubled per attempt (env KEELSON_RETRY_INITIAL_DELAY, default 30s)',
    )
    .option(
      '--retry-max-delay <duration>',
      'the longest wait between two retries (env KEELSON_RETRY_MAX_DELAY, default 10m)',
    );
  // The watcher's flags: `keelson worker` takes them too (and ignores them), so one set of flags starts any mode.
  command
    .option(
      '--namespace <ns>',
      'watch only this namespace, repeatable (env KEELSON_NAMESPACES=a,b; default all)',
      repeatable,
    )
    .option('--leader-elect', 'watch only while holding the Lease (default; env KEELSON_LEADER_ELECT)')
    .option('--no-leader-elect', 'watch without the Lease (env KEELSON_LEADER_ELECT=false)')
    .option('--lease-namespace <ns>', 'env KEELSON_LEASE_NAMESPACE or POD_NAMESPACE, default keelson-system')
    .option('--lease-name <name>', 'env KEELSON_LEASE_NAME, default keelson-operator')
    .option(
      '--lease-duration <seconds>',
      "a dead leader's watch moves on after this long (env KEELSON_LEASE_DURATION, default 15)",
    );
  command.action(async (flags: ProcessFlags) => {
    const parsed = processOptions(mode, flags, env);
    if ('problems' in parsed) {
      for (const problem of parsed.problems) console.error(`keelson ${mode}: ${problem}`);
      process.exit(2);
    }
    const { runProcess } = await import('../operator/process.ts');
    await runProcess(parsed.options);
  });
}

/** The whole command line. `exitOverride`: usage errors throw instead of exiting, for the caller to map. */
export function buildProgram(): Command {
  const program = new Command('keelson')
    .description('Keelson: a Kubernetes operator for Apache Kafka on Temporal')
    .version(packageVersion, '-V, --version', 'print the version')
    .exitOverride()
    // One line: what is wrong and where to look. Subcommands inherit this.
    .configureOutput({
      outputError: (text, write) =>
        write(
          `keelson: ${text
            .replace(/^error: /, '')
            .trim()
            .replace(/\r?\n/g, '\\n')} (see --help)\n`,
        ),
    });

  program
    .command('crd')
    .description('print the KafkaCluster and KafkaUser CustomResourceDefinitions generated from the schemas')
    .option('--write', 'update the files in deploy/helm/keelson/crds instead')
    .action(async (flags: { write?: boolean }) => {
      const { crdFiles } = await import('./crd.ts');
      for (const [file, content] of crdFiles()) {
        if (flags.write) writeFileSync(file, content);
        else process.stdout.write(`---\n${content}`);
      }
    });

  program
    .command('bundle')
    .description(
      'build the workflow bundles into dist/, without and with tracing (workers otherwise build theirs at their first start after a source change, which takes seconds)',
    )
    .action(async () => {
      const { buildWorkflowBundle, sourcesHash } = await import('../operator/workflow-bundle.ts');
      const hash = sourcesHash();
      await buildWorkflowBundle(hash);
      await buildWorkflowBundle(hash, true);
      console.error('keelson bundle: wrote dist/workflow-bundle.js and dist/workflow-bundle-traced.js');
    });

  processCommand(program, 'operator', 'run the watcher and the worker in one process (the usual way)');
  processCommand(program, 'worker', 'run the workflows and activities until SIGTERM or SIGINT');
  processCommand(
    program,
    'watch',
    "run only the watcher: signal each KafkaCluster's workflow when it changes",
  );

  addClusterCommands(program);
  addBackupCommands(program);

  program
    .command('completion')
    .argument('<shell>', 'bash or zsh', (value: string) => {
      if (value !== 'bash' && value !== 'zsh') throw new InvalidArgumentError('expected bash or zsh');
      return value;
    })
    .description('print a shell completion script: source <(keelson completion bash)')
    .action(async (shell: 'bash' | 'zsh') => {
      const { bashCompletion, zshCompletion } = await import('./completion.ts');
      process.stdout.write(shell === 'bash' ? bashCompletion(program) : zshCompletion(program));
    });
  return program;
}

/** status, pause, resume, roll and drill: talk to a cluster's workflow. */
function addClusterCommands(program: Command): void {
  withTemporal(
    program
      .command('status')
      .argument('<ns/name>', 'the KafkaCluster', clusterRefArgument)
      .description(
        "the KafkaCluster's conditions, brokers, current operation (step, node, blocked reason), last operation, backup and drill, beside what its workflow says",
      )
      .addOption(outputOption())
      .option('-w, --watch', 'print it again at each change, until interrupted')
      .option(
        '--svg <file>',
        "also draw the running (else the last) operation's activities, e.g. a roll's restarts, as a timeline in this SVG file",
        svgFileArgument,
      )
      .option('--kubeconfig <file>', 'kubeconfig (env KUBECONFIG)', env.KUBECONFIG),
  ).action(
    async (
      ref: string,
      flags: TemporalFlags & { output: OutputFormat; watch?: boolean; kubeconfig?: string; svg?: string },
    ) =>
      report('status', async () => {
        const { namespace, name } = parseClusterRef(ref);
        const { clusterStatus } = await import('./status-command.ts');
        let text = '';
        await clusterStatus(
          namespace,
          name,
          {
            ...temporal(flags),
            kubeconfig: flags.kubeconfig,
            output: flags.output,
            watch: flags.watch ?? false,
            svg: flags.svg,
          },
          flags.watch ? (t) => console.log(t) : (t) => (text = t),
        );
        return text;
      }),
  );
  const clusterCommand = (name: 'pause' | 'resume', description: string) =>
    withTemporal(
      program
        .command(name)
        .argument('<ns/name>', 'the KafkaCluster', clusterRefArgument)
        .description(description),
    ).action(async (ref: string, flags: TemporalFlags) =>
      report(name, async () =>
        (await import('./cluster-commands.ts')).runClusterCommand(name, ref, temporal(flags)),
      ),
    );
  clusterCommand('pause', 'start no new operation until resumed (a running one finishes)');
  clusterCommand('resume', 'start operations again');
  withTemporal(
    program
      .command('roll')
      .argument('<ns/name>', 'the KafkaCluster', clusterRefArgument)
      .description('restart every node safely, one at a time, even if none is out of date')
      .option('--reason <text>', 'why (shown in status and Events)', reasonArgument),
  ).action(async (ref: string, flags: TemporalFlags & { reason?: string }) =>
    report('roll', async () =>
      (await import('./cluster-commands.ts')).runClusterCommand('roll', ref, {
        ...temporal(flags),
        ...(flags.reason ? { reason: flags.reason } : {}),
      }),
    ),
  );

  const certs = program.command('certs').description("a secured cluster's certificates");
  withTemporal(
    certs
      .command('rotate')
      .argument('<ns/name>', 'the KafkaCluster', clusterRefArgument)
      .description(
        "issue every node certificate again now (and Keelson's own), and restart the nodes onto them in a safe roll; the CAs are kept",
      )
      .option('--reason <text>', 'why (shown in status and Events)', reasonArgument)
      .option(
        '--ca',
        "renew Keelson's cluster CA instead, in three phases of a roll each: trust the new CA beside the old, issue every node certificate from it, drop the old",
      ),
  ).action(async (ref: string, flags: TemporalFlags & { reason?: string; ca?: boolean }) =>
    report('certs rotate', async () =>
      (await import('./cluster-commands.ts')).runClusterCommand('certs rotate', ref, {
        ...temporal(flags),
        ...(flags.reason ? { reason: flags.reason } : {}),
        ...(flags.ca ? { ca: true } : {}),
      }),
    ),
  );

  const drill = program.command('drill').description('failover drills of one zone');
  withTemporal(
    drill
      .command('start')
      .argument('<ns/name>', 'the KafkaCluster', clusterRefArgument)
      .description(
        'move leadership out of the zone, take its nodes down, hold while checking produce/consume, fail back',
      )
      .requiredOption('--zone <zone>', 'the zone to take down', zoneArgument)
      .option('--hold <duration>', 'how long, e.g. 5m (default spec.drill.defaultHold)', durationArgument),
  ).action(async (ref: string, flags: TemporalFlags & { zone: string; hold?: string }) =>
    report('drill', async () =>
      (await import('./cluster-commands.ts')).runClusterCommand('drill start', ref, {
        ...temporal(flags),
        zone: flags.zone,
        ...(flags.hold ? { hold: flags.hold } : {}),
      }),
    ),
  );
  for (const [action, description] of [
    ['abort', 'stop the waiting or running drill (a running one fails back at once)'],
    ['status', 'the running drill and the report of the last one'],
  ] as const) {
    const command = drill
      .command(action)
      .argument('<ns/name>', 'the KafkaCluster', clusterRefArgument)
      .description(description);
    if (action === 'status')
      command
        .addOption(outputOption())
        .option(
          '--svg <file>',
          "also draw the last drill's steps as a timeline in this SVG file",
          svgFileArgument,
        );
    withTemporal(command).action(
      async (ref: string, flags: TemporalFlags & { output?: OutputFormat; svg?: string }) =>
        report(`drill ${action}`, async () =>
          (await import('./cluster-commands.ts')).runClusterCommand(`drill ${action}`, ref, {
            ...temporal(flags),
            ...(flags.output ? { output: flags.output } : {}),
            ...(flags.svg ? { svg: flags.svg } : {}),
          }),
        ),
    );
  }
}

/** backup now|list|drill and restore. */
function addBackupCommands(program: Command): void {
  const backup = program.command('backup').description('backups and restore drills of a KafkaCluster');
  withTemporal(
    backup
      .command('now')
      .argument('<ns/name>', 'the KafkaCluster', clusterRefArgument)
      .description("take a backup now (through the cluster's backup schedule; one runs at a time)")
      .option('--wait', 'wait for it and print its id and size'),
  ).action(async (ref: string, flags: TemporalFlags & { wait?: boolean }) =>
    report('backup now', async () =>
      (await import('./backup-commands.ts')).backupNow(ref, {
        ...temporal(flags),
        wait: flags.wait ?? false,
      }),
    ),
  );
  // Reads the store itself; takes the Temporal flags too (and ignores them), as every client command does.
  withTemporal(
    backup
      .command('list')
      .argument('<ns/name>', 'the KafkaCluster', clusterRefArgument)
      .description('the complete backups in the store of spec.backup.target, newest first')
      .addOption(outputOption())
      .option('--kubeconfig <file>', 'kubeconfig (env KUBECONFIG)', env.KUBECONFIG),
  ).action(async (ref: string, flags: { kubeconfig?: string; output: OutputFormat }) =>
    report('backup list', async () =>
      (await import('./backup-commands.ts')).listClusterBackups(ref, flags.kubeconfig, flags.output),
    ),
  );
  withTemporal(
    backup
      .command('drill')
      .argument('<ns/name>', 'the KafkaCluster (needs spec.backup.restoreDrill)', clusterRefArgument)
      .description(
        'restore drill: restore the newest backup into a scratch KafkaCluster, compare every partition and the group offsets with the backup, delete the scratch cluster; the cluster itself is not touched',
      )
      .option('--wait', 'wait and print what was compared'),
  ).action(async (ref: string, flags: TemporalFlags & { wait?: boolean }) =>
    report('backup drill', async () =>
      (await import('./backup-commands.ts')).restoreDrillNow(ref, {
        ...temporal(flags),
        wait: flags.wait ?? false,
      }),
    ),
  );

  withTemporal(
    program
      .command('restore')
      .argument('<backup-id>', 'the backup, e.g. orders-20261126-030000 (see keelson backup list)')
      .description(
        "restore topics and their configs, records where the backup has them, ACLs and consumer group offsets into a KafkaCluster, read from the target's spec.backup.target; waits and prints what it did",
      )
      .requiredOption('--to <ns/name>', 'the KafkaCluster to restore into', clusterRefArgument)
      .option(
        '--from <ns/name>',
        "the cluster the backup was taken of (default: the cluster named in the id, in the target's namespace)",
        clusterRefArgument,
      )
      .option('--overwrite-topics', 'delete and recreate topics the target already has (refused otherwise)'),
  ).action(
    async (
      backupId: string,
      flags: TemporalFlags & { to: string; from?: string; overwriteTopics?: boolean },
    ) =>
      report('restore', async () =>
        (await import('./backup-commands.ts')).restore(backupId, {
          ...temporal(flags),
          to: flags.to,
          from: flags.from,
          overwriteTopics: flags.overwriteTopics ?? false,
        }),
      ),
  );
}
