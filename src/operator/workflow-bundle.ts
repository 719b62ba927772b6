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
import type { Logger } from 'pino';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const workflowsPath = join(repoRoot, 'src', 'workflows', 'index.ts');
const bundleFile = join(repoRoot, 'dist', 'workflow-bundle.js');
const hashFile = `${bundleFile}.sha256`;

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

/** Builds the bundle and keeps it in dist/; returns its code. */
export async function buildWorkflowBundle(hash = sourcesHash()): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    logger: undefined,
    // The SDK needs an inline source map (stack traces name our files and lines); without the
    // sources copied into it the bundle is 1.4 MB instead of 3.4 MB, and a worker holds 30 MB less.
    webpackConfigHook: (config) => ({ ...config, devtool: 'inline-nosources-cheap-module-source-map' }),
  });
  try {
    mkdirSync(dirname(bundleFile), { recursive: true });
    // Written aside and renamed, so that a worker starting meanwhile never reads half a bundle.
    writeFileSync(`${bundleFile}.${process.pid}`, code);
    renameSync(`${bundleFile}.${process.pid}`, bundleFile);
    writeFileSync(`${hashFile}.${process.pid}`, hash);
    renameSync(`${hashFile}.${process.pid}`, hashFile);
  } catch {
    // A read-only file system: use it from memory this time.
  }
  return code;
}

/** The kept bundle when it matches the sources, else a fresh one. */
export async function workflowBundle(log: Logger): Promise<{ codePath: string } | { code: string }> {
  const hash = sourcesHash();
  if (existsSync(bundleFile) && existsSync(hashFile) && readFileSync(hashFile, 'utf8') === hash) {
    return { codePath: bundleFile };
  }
  log.info('building the workflow bundle (sources changed since the last one)');
  return { code: await buildWorkflowBundle(hash) };
}
