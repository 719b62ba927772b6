// When a certificate Keelson finds must be issued again, decided from what is
// known of it (its dates, its names, whether the current CA signed it). Pure,
// so that the same rules serve the activity that issues and the tests.

export interface FoundCertificate {
  notAfterMs: number;
  dnsNames: readonly string[];
  signedByCurrentCa: boolean;
}

/**
 * Why a certificate must be issued now, or undefined to keep it. A node's
 * new certificate only takes effect when it restarts: its serial number
 * changes the node's config hash, so the renewal is carried out by a roll
 * under every roll rule (safety checks, maintenance windows, roll limit).
 */
export function reissueReason(
  found: FoundCertificate | undefined,
  wanted: {
    dnsNames: readonly string[];
    renewalDays: number;
    /** When the signing CA ends: no certificate it signs outlives it, so one that already ends with it is not renewed. */
    caNotAfterMs: number;
  },
  nowMs: number,
): string | undefined {
  if (found === undefined) return 'none issued yet';
  if (!found.signedByCurrentCa) return 'not signed by the current CA';
  const expires = new Date(found.notAfterMs).toISOString();
  if (found.notAfterMs <= nowMs) return `expired at ${expires}`;
  const missing = wanted.dnsNames.filter((name) => !found.dnsNames.includes(name));
  if (missing.length > 0) return `does not name ${missing.join(', ')}`;
  // A renewal that would end no later is no renewal: the CA's own renewal (or its owner) must come first.
  const wouldOutlive = wanted.caNotAfterMs - found.notAfterMs > 60_000;
  if (renewalDueAtMs(found.notAfterMs, wanted.renewalDays) <= nowMs && wouldOutlive)
    return `due for renewal (expires at ${expires}, renewed ${wanted.renewalDays} days before)`;
  return undefined;
}

/** When renewal of a certificate valid until notAfterMs is due. */
export const renewalDueAtMs = (notAfterMs: number, renewalDays: number): number =>
  notAfterMs - renewalDays * 86_400_000;

/** The CAs inside their renewal window (Keelson renews its own; of one you provide it only warns). */
export function expiringAuthorities<T extends { kind: string; notAfter: string }>(
  certificates: readonly T[],
  renewalDays: { 'cluster-ca': number; 'clients-ca': number },
  nowMs: number,
): T[] {
  return certificates.filter(
    (c) =>
      (c.kind === 'cluster-ca' || c.kind === 'clients-ca') &&
      renewalDueAtMs(Date.parse(c.notAfter), renewalDays[c.kind]) <= nowMs,
  );
}

/**
 * A CA renewal, phase by phase, so that every connection keeps working: each
 * phase changes what every node runs with, and the next phase starts only
 * when every node runs the current one (restarted by a roll and Ready).
 *   trust-new: a new CA is made; every node trusts it beside the old one;
 *   reissue:   the new CA signs from now on; every node gets a certificate of it;
 *   drop-old:  the old CA is no longer trusted.
 */
export type CaRenewalPhase = 'trust-new' | 'reissue' | 'drop-old';

export const caRenewalPhases: Record<CaRenewalPhase, string> = {
  'trust-new': '1/3: trust the new CA beside the old one',
  reissue: '2/3: issue every node certificate from the new CA',
  'drop-old': '3/3: stop trusting the old CA',
};

/** The same phases for the clients CA, whose certificates are the KafkaUsers'. */
export const clientsCaRenewalPhases: Record<CaRenewalPhase, string> = {
  'trust-new': '1/3: the brokers trust the new clients CA beside the old one',
  reissue:
    '2/3: KafkaUser certificates come from the new clients CA; the old one stays trusted until it ends',
  'drop-old': '3/3: the brokers stop trusting the old clients CA',
};

export type CaRenewalAction = 'start' | 'promote' | 'drop-previous' | 'finish' | 'none';

export function caRenewalAction(
  phase: CaRenewalPhase | undefined,
  facts: {
    /** Inside the renewal window, or a renewal asked for (keelson certs rotate --ca). */
    wanted: boolean;
    /** Every node runs what the current phase gives it, and is Ready. */
    allNodesCurrent: boolean;
  },
): CaRenewalAction {
  if (phase === undefined) return facts.wanted ? 'start' : 'none';
  if (!facts.allNodesCurrent) return 'none';
  return phase === 'trust-new' ? 'promote' : phase === 'reissue' ? 'drop-previous' : 'finish';
}
