// When a certificate Keelson finds must be issued again, decided from what is
// known of it (its dates, its names, whether the current CA signed it). Pure,
// so that the same rules serve the activity that issues and the tests.

export interface FoundCertificate {
  notAfterMs: number;
  dnsNames: readonly string[];
  signedByCurrentCa: boolean;
}

/**
 * Why a certificate must be issued now, or undefined to keep it. Renewal
 * before expiry is not decided here: a node's new certificate only takes
 * effect when it restarts, so renewal is planned as a roll.
 */
export function reissueReason(
  found: FoundCertificate | undefined,
  wantedDnsNames: readonly string[],
  nowMs: number,
): string | undefined {
  if (found === undefined) return 'none issued yet';
  if (!found.signedByCurrentCa) return 'not signed by the current CA';
  if (found.notAfterMs <= nowMs) return `expired at ${new Date(found.notAfterMs).toISOString()}`;
  const missing = wantedDnsNames.filter((name) => !found.dnsNames.includes(name));
  if (missing.length > 0) return `does not name ${missing.join(', ')}`;
  return undefined;
}

/** When renewal of a certificate valid until notAfterMs is due. */
export const renewalDueAtMs = (notAfterMs: number, renewalDays: number): number =>
  notAfterMs - renewalDays * 86_400_000;
