// Test helpers for the running local environment: API clients built from its
// kubeconfig, a throw-away namespace per test, and polling with a deadline.
import type { CoreV1Api } from '@kubernetes/client-node';
import { KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { nodeNameForZone, outageAnnotation } from '../../tools/testenv/node-agent/nodes.ts';
import { readTestEnv, type TestEnv } from '../../tools/testenv/src/env.ts';

export const env: TestEnv = readTestEnv();

export function adminKubeConfig(): KubeConfig {
  const kubeconfig = new KubeConfig();
  kubeconfig.loadFromFile(env.kubeconfig);
  return kubeconfig;
}

/** Polls until `probe` returns a value other than undefined, or fails with `what`. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await sleep(intervalMs);
  }
  const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
}

export async function createNamespace(core: CoreV1Api, prefix: string): Promise<string> {
  const name = `${prefix}-${Date.now().toString(36)}`;
  await core.createNamespace({ body: { metadata: { name } } });
  // Pods need the namespace's default ServiceAccount, created by the controller manager.
  await eventually(`ServiceAccount default in ${name}`, async () =>
    core.readNamespacedServiceAccount({ name: 'default', namespace: name }).then(() => true),
  );
  return name;
}

/** Simulates losing a zone's node (or brings it back) through the node agent's outage annotation. */
export async function setZoneOutage(core: CoreV1Api, zone: string, down: boolean): Promise<void> {
  await core.patchNode(
    {
      name: nodeNameForZone(zone),
      body: { metadata: { annotations: { [outageAnnotation]: down ? 'true' : null } } },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}
