// The workflow bundle the worker loads. Bundling the workflow code (webpack)
// takes seconds and a few hundred MB at every start, so it is built once and
// kept in dist/, keyed by a hash of the sources it is made from; a worker
// whose sources differ from the kept bundle's builds a fresh one (and keeps
// it when it can write there: a read-only image ships it prebuilt by
// `keelson bundle`).
import { bundleWorkflowCode } from '@temporalio/worker';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type { Logger } from 'pino';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const workflowsPath = join(repoRoot, 'src', 'workflows', 'index.ts');
/** The workflow interceptors of a traced worker (tracing.ts): a bundle of its own, so an untraced one carries none. */
export const tracedInterceptorModule = (): string =>
  createRequire(import.meta.url).resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');
const bundleFile = (traced: boolean) =>
  join(repoRoot, 'dist', traced ? 'workflow-bundle-traced.js' : 'workflow-bundle.js');
const hashFile = (traced: boolean) => `${bundleFile(traced)}.sha256`;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)]))
    .sort();
}

/** What the bundle is made from: every source file, and the locked dependency versions. */
export function sourcesHash(): string {
  const hash = createHash('sha256');
  for (const file of [...filesUnder(join(repoRoot, 'src')), join(repoRoot, 'package-lock.json')]) {
    hash.update(file.slice(repoRoot.length)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

/**
 * The pure modules of src/domain (and what they import of src/crd): loaded
 * once when the worker loads the bundle and shared, frozen, by every workflow.
 * The SDK evaluates every other module of the bundle again in each workflow's
 * context, which costs each cached workflow memory; these hold no state of
 * their own (the lint keeps I/O and schemas out of them), so sharing them
 * changes nothing a workflow can observe, and a module that tried to change
 * its shared state would fail at once (frozen).
 */
export const sharedWorkflowModules = (): string[] =>
  filesUnder(join(repoRoot, 'src', 'domain')).filter((file) => file.endsWith('.ts'));

/** Builds the bundle (with the tracing interceptors when `traced`) and keeps it in dist/; returns its code. */
export async function buildWorkflowBundle(hash = sourcesHash(), traced = false): Promise<string> {
  const file = bundleFile(traced);
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    preloadModules: sharedWorkflowModules(),
    ...(traced ? { workflowInterceptorModules: [tracedInterceptorModule()] } : {}),
    logger: undefined,
    // The SDK needs an inline source map (stack traces name our files and lines); without the
    // sources copied into it the bundle is 1.4 MB instead of 3.4 MB, and a worker holds 30 MB less.
    webpackConfigHook: (config) => ({ ...config, devtool: 'inline-nosources-cheap-module-source-map' }),
  });
  try {
    mkdirSync(dirname(file), { recursive: true });
    // Written aside and renamed, so that a worker starting meanwhile never reads half a bundle.
    writeFileSync(`${file}.${process.pid}`, code);
    renameSync(`${file}.${process.pid}`, file);
    writeFileSync(`${hashFile(traced)}.${process.pid}`, hash);
    renameSync(`${hashFile(traced)}.${process.pid}`, hashFile(traced));
  } catch {
    // A read-only file system: use it from memory this time.
  }
  return code;
}

/** The kept bundle when it matches the sources, else a fresh one. */
export async function workflowBundle(
  log: Logger,
  traced = false,
): Promise<{ codePath: string } | { code: string }> {
  const hash = sourcesHash();
  const file = bundleFile(traced);
  if (existsSync(file) && existsSync(hashFile(traced)) && readFileSync(hashFile(traced), 'utf8') === hash) {
    return { codePath: file };
  }
  log.info({ traced }, 'building the workflow bundle (sources changed since the last one)');
  return { code: await buildWorkflowBundle(hash, traced) };
}
