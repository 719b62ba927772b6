// The options of `keelson operator|worker|watch`, from their flags and the
// environment (a flag wins over its variable), checked: a pure function, so
// every default and every refusal is unit-tested without starting anything.
import { temporalApiKey } from '../operator/temporal-connection.ts';
import { parseDurationMs } from '../crd/duration.ts';
import { policyProblems } from '../domain/backup-policy.ts';
import { defaultReconcilePolicy, reconcilePolicyProblems } from '../domain/reconcile-policy.ts';
import { defaultMaxConcurrentRolls } from '../domain/roll-limit.ts';
import { splitAddress } from '../operator/address.ts';
import type { ProcessMode, ProcessOptions } from '../operator/process.ts';

/** The flags as the command line gave them (undefined: not given). */
export interface ProcessFlags {
  temporalAddress?: string | undefined;
  temporalNamespace?: string | undefined;
  temporalTlsCert?: string | undefined;
  temporalTlsKey?: string | undefined;
  temporalTlsCa?: string | undefined;
  temporalTlsServerName?: string | undefined;
  temporalApiKeyFile?: string | undefined;
  taskQueue?: string | undefined;
  kubeconfig?: string | undefined;
  namespace?: string[] | undefined;
  maxConcurrentRolls?: string | undefined;
  maxCachedWorkflows?: string | undefined;
  healthAddress?: string | undefined;
  backupEndpoint?: string[] | undefined;
  backupRoot?: string | undefined;
  resyncInterval?: string | undefined;
  retryInitialDelay?: string | undefined;
  retryMaxDelay?: string | undefined;
  leaderElect?: boolean | undefined;
  registerSearchAttributes?: boolean | undefined;
  tracingEndpoint?: string | undefined;
  leaseNamespace?: string | undefined;
  leaseName?: string | undefined;
  leaseDuration?: string | undefined;
}

type Env = Record<string, string | undefined>;

function addressProblem(address: string): string | undefined {
  try {
    splitAddress(address);
    return undefined;
  } catch (err) {
    return `--health-address: ${(err as Error).message}`;
  }
}

export function processOptions(
  mode: ProcessMode,
  flags: ProcessFlags,
  env: Env,
): { options: ProcessOptions } | { problems: string[] } {
  const problems: string[] = [];
  const wholeNumber = (flag: string, value: string, min: number): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min)
      problems.push(`--${flag} must be a whole number of at least ${min}, not "${value}"`);
    return n;
  };
  const list = (flag: string[] | undefined, variable: string | undefined): string[] =>
    flag && flag.length > 0 ? flag : (variable ?? '').split(',').filter(Boolean);

  const maxConcurrentRolls = wholeNumber(
    'max-concurrent-rolls',
    flags.maxConcurrentRolls ?? env.KEELSON_MAX_CONCURRENT_ROLLS ?? String(defaultMaxConcurrentRolls),
    1,
  );
  const leaseSeconds = wholeNumber(
    'lease-duration',
    flags.leaseDuration ?? env.KEELSON_LEASE_DURATION ?? '15',
    3,
  );
  const maxCachedWorkflows = wholeNumber(
    'max-cached-workflows',
    flags.maxCachedWorkflows ?? env.KEELSON_MAX_CACHED_WORKFLOWS ?? '100',
    0,
  );
  const tls = {
    cert: flags.temporalTlsCert ?? env.KEELSON_TEMPORAL_TLS_CERT,
    key: flags.temporalTlsKey ?? env.KEELSON_TEMPORAL_TLS_KEY,
    ca: flags.temporalTlsCa ?? env.KEELSON_TEMPORAL_TLS_CA,
    serverName: flags.temporalTlsServerName ?? env.KEELSON_TEMPORAL_TLS_SERVER_NAME,
  };
  if (Boolean(tls.cert) !== Boolean(tls.key))
    problems.push('--temporal-tls-cert and --temporal-tls-key go together');
  let apiKey: string | undefined;
  try {
    apiKey = temporalApiKey(flags.temporalApiKeyFile, env.KEELSON_TEMPORAL_API_KEY);
  } catch (err) {
    problems.push(`--temporal-api-key-file: ${(err as Error).message}`);
  }
  const tracingEndpoint = flags.tracingEndpoint ?? env.KEELSON_TRACING_ENDPOINT;
  if (tracingEndpoint !== undefined && !/^https?:\/\/[^\s]+$/.test(tracingEndpoint))
    problems.push(
      `--tracing-endpoint: expected an http(s) URL of an OTLP traces receiver, got "${tracingEndpoint}"`,
    );
  const health = flags.healthAddress ?? env.KEELSON_HEALTH_ADDRESS ?? ':8080';
  const healthAddress = health === 'off' ? undefined : health;
  const healthProblem = healthAddress ? addressProblem(healthAddress) : undefined;
  if (healthProblem) problems.push(healthProblem);
  const backupRoot = flags.backupRoot ?? env.KEELSON_BACKUP_ROOT;
  const backupPolicy = {
    endpoints: list(flags.backupEndpoint, env.KEELSON_BACKUP_ENDPOINTS),
    ...(backupRoot ? { root: backupRoot } : {}),
  };
  problems.push(...policyProblems(backupPolicy));
  const duration = (flag: string, value: string | undefined, fallbackMs: number): number => {
    if (value === undefined) return fallbackMs;
    try {
      return parseDurationMs(value);
    } catch (err) {
      problems.push(`--${flag}: ${(err as Error).message}`);
      return fallbackMs;
    }
  };
  const reconcilePolicy = {
    resyncIntervalMs: duration(
      'resync-interval',
      flags.resyncInterval ?? env.KEELSON_RESYNC_INTERVAL,
      defaultReconcilePolicy.resyncIntervalMs,
    ),
    retryInitialDelayMs: duration(
      'retry-initial-delay',
      flags.retryInitialDelay ?? env.KEELSON_RETRY_INITIAL_DELAY,
      defaultReconcilePolicy.retryInitialDelayMs,
    ),
    retryMaxDelayMs: duration(
      'retry-max-delay',
      flags.retryMaxDelay ?? env.KEELSON_RETRY_MAX_DELAY,
      defaultReconcilePolicy.retryMaxDelayMs,
    ),
  };
  if (problems.length === 0) problems.push(...reconcilePolicyProblems(reconcilePolicy));
  if (problems.length > 0) return { problems };
  const leaderElect = flags.leaderElect ?? env.KEELSON_LEADER_ELECT !== 'false';
  return {
    options: {
      mode,
      temporalAddress: flags.temporalAddress ?? env.KEELSON_TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
      temporalNamespace: flags.temporalNamespace ?? env.KEELSON_TEMPORAL_NAMESPACE ?? 'default',
      ...(Object.values(tls).some(Boolean) ? { temporalTls: tls } : {}),
      ...(apiKey ? { temporalApiKey: apiKey } : {}),
      taskQueue: flags.taskQueue ?? env.KEELSON_TASK_QUEUE ?? 'keelson',
      registerSearchAttributes:
        flags.registerSearchAttributes ?? env.KEELSON_REGISTER_SEARCH_ATTRIBUTES !== 'false',
      kubeconfig: flags.kubeconfig ?? env.KUBECONFIG,
      namespaces: list(flags.namespace, env.KEELSON_NAMESPACES),
      maxConcurrentRolls,
      maxCachedWorkflows,
      backupPolicy,
      reconcilePolicy,
      healthAddress,
      ...(tracingEndpoint ? { tracingEndpoint } : {}),
      // A lone `keelson worker` does not watch, so it needs no Lease.
      leaderElection:
        leaderElect && mode !== 'worker'
          ? {
              namespace:
                flags.leaseNamespace ?? env.KEELSON_LEASE_NAMESPACE ?? env.POD_NAMESPACE ?? 'keelson-system',
              name: flags.leaseName ?? env.KEELSON_LEASE_NAME ?? 'keelson-operator',
              leaseSeconds,
            }
          : undefined,
    },
  };
}
