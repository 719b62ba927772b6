// The Kubernetes client's KubeConfig module imports the client's whole
// generated API (./gen/index.js: 225 API classes and 2,742 models), though it
// needs only two small parts of it, and Keelson makes its API calls itself
// (api.ts). This resolve hook hands that one import the two parts alone
// (kube-config-parts.ts). Measured on Node 24 importing KubeConfig and Watch:
// 85 MB resident and 13 MB of heap in 0.26 s, against 128 MB and 29 MB in
// 0.56 s with the whole API.
//
// src/main.ts imports this module before it loads a command. Code that loads
// the client without it (a test importing a module directly) works the same,
// with the whole API loaded.
import { registerHooks } from 'node:module';

const kubeConfigModule = /\/@kubernetes\/client-node\/dist\/config\.js$/;
const parts = new URL('./kube-config-parts.ts', import.meta.url).href;

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier === './gen/index.js' && kubeConfigModule.test(context.parentURL ?? '')) {
      return { url: parts, shortCircuit: true };
    }
    return nextResolve(specifier, context);
  },
});
