// Where the test environment keeps things. Builds and downloads go to a cache
// outside the repository (reused across clones and runs); the running
// environment's state goes to .testenv/ in the repository (ignored by git)
// and is wiped at every `up`.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '../../..');
export const testenvDir = resolve(import.meta.dirname, '..');

/** Build and download cache. @default ~/.cache/keelson */
export const cacheDir = process.env.KEELSON_CACHE_DIR ?? join(homedir(), '.cache', 'keelson');
export const binDir = join(cacheDir, 'bin');

/** State of the running environment. @default <repo>/.testenv */
export const stateDir = process.env.KEELSON_TESTENV_DIR ?? join(repoRoot, '.testenv');
export const envFile = join(stateDir, 'env.json');
export const logDir = join(stateDir, 'logs');
export const pidDir = join(stateDir, 'pids');
export const pkiDir = join(stateDir, 'pki');
export const kubeconfigPath = join(stateDir, 'kubeconfig');
export const agentDir = join(stateDir, 'node-agent');

export const kafkaLibsDir = (version: string): string => join(cacheDir, 'kafka', version, 'libs');

/** The Prometheus JMX exporter's Java agent, as jmx_prometheus_javaagent.jar (the content of its image). */
export const jmxExporterDir = (version: string): string => join(cacheDir, 'jmx-exporter', version);
