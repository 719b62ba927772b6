// The kubeconfig of a command: the file given (--kubeconfig), else KUBECONFIG,
// ~/.kube/config or the pod's ServiceAccount, as kubectl finds it.
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';

export function loadKubeConfig(file: string | undefined): KubeConfig {
  const kube = new KubeConfig();
  if (file) kube.loadFromFile(file);
  else kube.loadFromDefault();
  return kube;
}
