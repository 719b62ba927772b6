// Operations asked for with annotations on the KafkaCluster, for kubectl
// users (`kubectl annotate kafkacluster orders keelson.dev/roll=$(date +%s)`):
// the same Updates as the keelson CLI. A request is acted on once: the
// watcher writes the value it acted on to keelson.dev/<kind>-acknowledged
// and the outcome to keelson.dev/<kind>-result, and a value equal to the
// acknowledged one is not acted on again (after a relist or a restart).
//   keelson.dev/roll:  any token; a new token rolls again
//   keelson.dev/drill: <zone> or <zone>/<hold> starts a drill; "abort" aborts it
//   keelson.dev/pause: "true" pauses, "false" resumes
//   keelson.dev/backup: any token; a new token takes a backup now
//   keelson.dev/rotate-certs: any token; a new token issues the node certificates again and rolls;
//     a token starting with "ca:" renews the cluster CA (three phases, a roll each)
import { contentHash } from './hash.ts';

/** Longer request values are refused: a token, a zone or true/false never needs more. */
export const maxRequestValueLength = 256;

export type AnnotationRequest =
  | { kind: 'roll'; value: string }
  | { kind: 'backup'; value: string }
  | { kind: 'rotate-certs'; value: string }
  | { kind: 'drill'; value: string; zone: string; hold?: string }
  | { kind: 'abort-drill'; value: string }
  | { kind: 'pause'; value: string }
  | { kind: 'resume'; value: string }
  | { kind: 'invalid'; annotation: RequestKind; value: string; message: string };

const requestKinds = ['roll', 'drill', 'pause', 'backup', 'rotate-certs'] as const;
export type RequestKind = (typeof requestKinds)[number];

export const requestAnnotation = (kind: RequestKind): string => `keelson.dev/${kind}`;
export const acknowledgedAnnotation = (kind: RequestKind): string => `keelson.dev/${kind}-acknowledged`;
export const resultAnnotation = (kind: RequestKind): string => `keelson.dev/${kind}-result`;

/** The annotation a request came from. */
export const annotationOf = (request: AnnotationRequest): RequestKind =>
  request.kind === 'invalid'
    ? request.annotation
    : request.kind === 'abort-drill'
      ? 'drill'
      : request.kind === 'resume'
        ? 'pause'
        : request.kind;

/**
 * What the -acknowledged annotation holds for a value: the value itself, or
 * for a value too long to act on a short digest of it, so that acknowledging
 * an oversized request never copies it (a second copy can push the object
 * past the API server's 256 KiB limit on annotations, and the acknowledgement
 * would then fail on every retry).
 */
export const acknowledgement = (value: string): string =>
  value.length <= maxRequestValueLength ? value : `digest:${contentHash(value)}`;

/** Requests whose value has not been acknowledged yet. */
export function pendingRequests(annotations: Readonly<Record<string, string>>): AnnotationRequest[] {
  const pending: AnnotationRequest[] = [];
  for (const kind of requestKinds) {
    const value = annotations[requestAnnotation(kind)];
    if (value === undefined || acknowledgement(value) === annotations[acknowledgedAnnotation(kind)]) continue;
    if (value.length > maxRequestValueLength) {
      pending.push({
        kind: 'invalid',
        annotation: kind,
        value,
        message: `the value is ${value.length} characters long; at most ${maxRequestValueLength} are taken`,
      });
    } else if (kind === 'roll' || kind === 'backup' || kind === 'rotate-certs') pending.push({ kind, value });
    else if (kind === 'pause') {
      if (value === 'true') pending.push({ kind: 'pause', value });
      else if (value === 'false') pending.push({ kind: 'resume', value });
      else pending.push({ kind: 'invalid', annotation: kind, value, message: 'must be "true" or "false"' });
    } else if (value === 'abort') pending.push({ kind: 'abort-drill', value });
    else {
      const [zone, hold, extra] = value.split('/');
      if (!zone || extra !== undefined) {
        pending.push({
          kind: 'invalid',
          annotation: kind,
          value,
          message: 'must be <zone>, <zone>/<hold> or abort',
        });
      } else pending.push({ kind: 'drill', value, zone, ...(hold ? { hold } : {}) });
    }
  }
  return pending;
}
