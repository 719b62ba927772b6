// What the operator's processes load: the Kubernetes client's KubeConfig and
// Watch without the client's generated API (lean-client-loading.ts: about
// 40 MB of memory and 0.3 s of start-up), and `keelson watch` without zod,
// the schemas and the YAML writer (9 MB). A child process records every
// module it loads.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';

const root = new URL('../../../', import.meta.url);

interface Loaded {
  generated: number;
  zod: number;
  yaml: number;
  server: string | undefined;
}

const loadedBy = (lean: boolean, modules: string[]): Loaded => {
  const script = `
    import { registerHooks } from 'node:module';
    const loaded = [];
    registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
    ${lean ? "await import('./src/kubernetes/lean-client-loading.ts');" : ''}
    for (const module of ${JSON.stringify(modules)}) await import(module);
    const { PooledKubeConfig } = await import('./src/operator/pooled-kube-config.ts');
    const kube = new PooledKubeConfig();
    kube.loadFromString('{"clusters":[{"name":"c","cluster":{"server":"https://10.0.0.1:6443"}}],"users":[{"name":"u","user":{"token":"t"}}],"contexts":[{"name":"x","context":{"cluster":"c","user":"u"}}],"current-context":"x"}');
    const count = (pattern) => loaded.filter((url) => pattern.test(url)).length;
    console.log(JSON.stringify({
      generated: count(/client-node\\/dist\\/gen\\/(models|apis)\\//),
      zod: count(/node_modules\\/zod\\//),
      yaml: count(/node_modules\\/yaml\\//),
      server: kube.getCurrentCluster()?.server,
    }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Loaded;
};

/** What `keelson watch` loads: the command line, the process and the watcher. */
const watcherModules = ['./src/cli/program.ts', './src/operator/process.ts', './src/operator/watcher.ts'];
/** And what a worker adds that talks to the API server. */
const workerModules = [
  './src/activities/kubernetes-activities.ts',
  './src/cli/status-command.ts',
  './src/watch/owned-objects.ts',
];

describe('what the processes load', () => {
  it("loads none of the Kubernetes client's generated API, and its KubeConfig still works", () => {
    const loaded = loadedBy(true, [...watcherModules, ...workerModules]);
    assert.equal(loaded.generated, 0);
    assert.equal(loaded.server, 'https://10.0.0.1:6443');
  });

  it('without the hook, the same modules load the whole generated API', () => {
    assert.ok(loadedBy(false, [...watcherModules, ...workerModules]).generated > 500);
  });

  it('the watcher loads neither zod and the schemas nor the YAML writer', () => {
    const loaded = loadedBy(true, watcherModules);
    assert.deepEqual({ zod: loaded.zod, yaml: loaded.yaml }, { zod: 0, yaml: 0 });
  });
});
