// Where the operator may keep backups, whoever writes the KafkaCluster: the
// operator's own settings, not the spec, decide. An S3 endpoint must be one
// the operator was configured with (otherwise anyone who can write a
// KafkaCluster could make it send signed requests anywhere); a filesystem
// target must lie under the operator's backup root, a volume every replica
// mounts (a path of the pod's own would lose backups when the pod goes).
// Credentials come only from Secrets labelled for it.

export interface BackupPolicy {
  /** Filesystem targets must lie under this absolute directory; none: filesystem targets are refused. */
  root?: string;
  /** S3 endpoints (scheme, host and port) the operator may use besides AWS's own (a target without endpoint). */
  endpoints: readonly string[];
}

/** The label a Secret needs before the operator uses it as backup credentials. */
export const credentialsLabel = 'keelson.dev/backup-credentials';

export const noBackupPolicy: BackupPolicy = { endpoints: [] };

type Target = {
  s3?: { endpoint?: string | undefined; region?: string | undefined } | undefined;
  filesystem?: { path: string } | undefined;
};

function origin(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
    if (parsed.username || parsed.password) return undefined;
    return parsed.origin;
  } catch {
    return undefined;
  }
}

/** The segments of an absolute path with "." and ".." resolved (as the kernel would), or undefined for a relative one. */
function absoluteSegments(path: string): string[] | undefined {
  if (!path.startsWith('/')) return undefined;
  const segments: string[] = [];
  for (const part of path.split('/')) {
    if (part === '..') segments.pop();
    else if (part !== '' && part !== '.') segments.push(part);
  }
  return segments;
}

/** Why the operator will not use `target` (undefined: it will). */
export function targetRefusal(target: Target, policy: BackupPolicy): string | undefined {
  if (target.filesystem) {
    const path = target.filesystem.path;
    if (!policy.root) {
      return `filesystem backup targets are off: the operator has no backup root (--backup-root, a volume every replica mounts); use an S3 target`;
    }
    const inside = absoluteSegments(path);
    const root = absoluteSegments(policy.root) ?? [];
    if (!inside || root.some((segment, i) => inside[i] !== segment) || path.includes('\0')) {
      return `backup.target.filesystem.path ${JSON.stringify(path.slice(0, 200))} is not under the operator's backup root ${policy.root}`;
    }
    return undefined;
  }
  if (target.s3) {
    if (target.s3.region !== undefined && !/^[a-z0-9-]{1,32}$/.test(target.s3.region)) {
      return `backup.target.s3.region ${JSON.stringify(target.s3.region.slice(0, 64))} is not a region name`;
    }
    if (target.s3.endpoint === undefined) return undefined;
    const wanted = origin(target.s3.endpoint);
    const allowed = policy.endpoints.map(origin).filter((o): o is string => o !== undefined);
    if (!wanted || !allowed.includes(wanted)) {
      return `backup.target.s3.endpoint ${JSON.stringify(target.s3.endpoint.slice(0, 200))} is not one the operator may use (${
        allowed.length > 0 ? allowed.join(', ') : 'none configured'
      }; the operator's --backup-endpoint adds one)`;
    }
    return undefined;
  }
  return 'backup.target names no store';
}

/** Checks the operator's own settings at start-up; the messages name the flag. */
export function policyProblems(policy: BackupPolicy): string[] {
  const problems: string[] = [];
  if (
    policy.root !== undefined &&
    `/${absoluteSegments(policy.root)?.join('/') ?? ''}` !== policy.root.replace(/(.)\/$/, '$1')
  )
    problems.push(`--backup-root must be an absolute, normalized path, not "${policy.root}"`);
  for (const endpoint of policy.endpoints)
    if (!origin(endpoint)) problems.push(`--backup-endpoint must be an http or https URL, not "${endpoint}"`);
  return problems;
}

/**
 * For `keelson backup list`, run by a user with their own credentials: the
 * target of the spec they point it at is theirs to read, wherever it is.
 */
export function userPolicy(target: Target): BackupPolicy {
  return {
    root: '/',
    endpoints: target.s3?.endpoint ? [target.s3.endpoint] : [],
  };
}
