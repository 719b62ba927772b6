// The two parts of the Kubernetes client's generated API that its KubeConfig
// module uses (for makeApiClient, which Keelson does not call). Handed to that
// module in place of the whole generated API by lean-client-loading.ts.
export { createConfiguration } from '@kubernetes/client-node/dist/gen/configuration.js';
export { ServerConfiguration } from '@kubernetes/client-node/dist/gen/servers.js';
