// The operator loads the Kubernetes client's KubeConfig and Watch without the
// client's generated API (lean-client-loading.ts): about 40 MB of memory and
// 0.3 s of start-up. A child process records every module it loads.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';

const root = new URL('../../../', import.meta.url);

const loadedBy = (lean: boolean): { generated: number; server: string | undefined } => {
  const script = `
    import { registerHooks } from 'node:module';
    const loaded = [];
    registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
    ${lean ? "await import('./src/kubernetes/lean-client-loading.ts');" : ''}
    for (const module of ['./src/operator/process.ts', './src/activities/kubernetes-activities.ts',
      './src/watch/handlers.ts', './src/watch/owned-objects.ts', './src/cli/status-command.ts']) await import(module);
    const { PooledKubeConfig } = await import('./src/operator/pooled-kube-config.ts');
    const kube = new PooledKubeConfig();
    kube.loadFromString('{"clusters":[{"name":"c","cluster":{"server":"https://10.0.0.1:6443"}}],"users":[{"name":"u","user":{"token":"t"}}],"contexts":[{"name":"x","context":{"cluster":"c","user":"u"}}],"current-context":"x"}');
    console.log(JSON.stringify({
      generated: loaded.filter((url) => /client-node\\/dist\\/gen\\/(models|apis)\\//.test(url)).length,
      server: kube.getCurrentCluster()?.server,
    }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as {
    generated: number;
    server: string | undefined;
  };
};

describe('lean loading of the Kubernetes client', () => {
  it("loads none of the client's generated API classes and models, and KubeConfig still works", () => {
    assert.deepEqual(loadedBy(true), { generated: 0, server: 'https://10.0.0.1:6443' });
  });

  it('without it, the same modules load the whole generated API', () => {
    assert.ok(loadedBy(false).generated > 500);
  });
});
