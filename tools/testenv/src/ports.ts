// Fixed loopback ports of the test environment (documented in tools/testenv/README.md).
export const ports = {
  etcdClient: 23790,
  etcdPeer: 23800,
  apiServer: 6443,
  temporal: 7233,
  temporalUi: 8233,
  temporalHttp: 7243,
  temporalMetrics: 7244,
  // SeaweedFS; each of master, volume and filer also listens on its port + 10000 (gRPC).
  s3: 18333,
  s3Master: 19333,
  s3Volume: 18080,
  s3Filer: 18888,
} as const;

export const loopback = '127.0.0.1';
