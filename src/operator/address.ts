// host:port addresses the operator listens on (its health server).

/** "host:port" or ":port" (all interfaces); rejects anything else with the reason. */
export function splitAddress(address: string): [string, number] {
  const match = /^(.*):(\d+)$/.exec(address);
  const port = Number(match?.[2]);
  if (!match || !Number.isInteger(port) || port > 65535) {
    throw new Error(`"${address}" is not an address such as 0.0.0.0:8080 or :8080`);
  }
  return [match[1] || '0.0.0.0', port];
}
