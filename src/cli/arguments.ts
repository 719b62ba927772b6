// Checks of the command line's values, run by commander before any command
// connects anywhere: a bad value is a usage error (exit code 2) naming what
// was expected, and nothing is contacted.
import { InvalidArgumentError } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { clusterNameRules } from '../crd/cluster-name.ts';
import { parseDurationMs } from '../crd/duration.ts';

const namespacePattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function parseClusterRef(ref: string | undefined): { namespace: string; name: string } {
  const [namespace = '', name = '', ...rest] = (ref ?? '').split('/');
  if (rest.length > 0 || !namespacePattern.test(namespace) || namespace.length > 63 || name === '') {
    throw new Error(`expected <namespace>/<name> of a KafkaCluster, got "${ref ?? ''}"`);
  }
  const broken = clusterNameRules.find((rule) => !rule.holds(name));
  if (broken) throw new Error(`"${ref ?? ''}": ${broken.message.replace(/^metadata\.name: /, '')}`);
  return { namespace, name };
}

const usage =
  <T>(check: (value: string) => T) =>
  (value: string): string => {
    try {
      check(value);
      return value;
    } catch (err) {
      throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
    }
  };

/** `<namespace>/<name>` of a KafkaCluster. */
export const clusterRefArgument = usage(parseClusterRef);

/** A duration such as 90s, 5m or 1h. */
export const durationArgument = usage(parseDurationMs);

/** Free text shown in status and Events: one line, at most 256 characters. */
export const reasonArgument = usage((value) => {
  if (value.trim() === '' || value.length > 256 || /[\p{Cc}]/u.test(value))
    throw new Error('expected one line of at most 256 characters');
});

/** A zone name as Kubernetes labels hold it. */
export const zoneArgument = usage((value) => {
  if (!/^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/.test(value) || value.length > 63)
    throw new Error(`expected a zone (a label value of at most 63 characters), got "${value}"`);
});

/** A file to write: its directory must exist (checked before anything is contacted). */
export const svgFileArgument = usage((value) => {
  if (!value.endsWith('.svg')) throw new Error(`expected a file name ending in .svg, got "${value}"`);
  const dir = dirname(value);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new Error(`no directory ${dir} to write ${value} in`);
});
