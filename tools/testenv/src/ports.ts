// Fixed loopback ports of the test environment (documented in tools/testenv/README.md).
export const ports = {
  etcdClient: 23790,
  etcdPeer: 23800,
  apiServer: 6443,
  temporal: 7233,
  temporalUi: 8233,
  temporalHttp: 7243,
  temporalMetrics: 7244,
} as const;

export const loopback = '127.0.0.1';
