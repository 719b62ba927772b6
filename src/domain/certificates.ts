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
  wanted: { dnsNames: readonly string[]; renewalDays: number },
  nowMs: number,
): string | undefined {
  if (found === undefined) return 'none issued yet';
  if (!found.signedByCurrentCa) return 'not signed by the current CA';
  const expires = new Date(found.notAfterMs).toISOString();
  if (found.notAfterMs <= nowMs) return `expired at ${expires}`;
  const missing = wanted.dnsNames.filter((name) => !found.dnsNames.includes(name));
  if (missing.length > 0) return `does not name ${missing.join(', ')}`;
  if (renewalDueAtMs(found.notAfterMs, wanted.renewalDays) <= nowMs)
    return `due for renewal (expires at ${expires}, renewed ${wanted.renewalDays} days before)`;
  return undefined;
}

/** When renewal of a certificate valid until notAfterMs is due. */
export const renewalDueAtMs = (notAfterMs: number, renewalDays: number): number =>
  notAfterMs - renewalDays * 86_400_000;

/** The CAs inside their renewal window: Keelson never replaces a CA you provide, and does not renew its own CAs yet. */
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
