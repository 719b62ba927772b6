// Builds and downloads the environment's tools on first use, into the cache:
// the Temporal CLI (go install), the Kubernetes control plane and kubectl (a
// Go program in tools/testenv/kube), SeaweedFS as the S3 store (the Go module
// pinned in tools/testenv/s3), Helm and promtool (tools/testenv/checks), the
// jars of each Kafka version and Temporal's
// time-skipping test server (Maven). A stamp next to each output records the
// inputs it was built from, so a later run rebuilds only what changed.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { binDir, cacheDir, jmxExporterDir, kafkaLibsDir, testenvDir } from './paths.ts';
import { jmxExporterVersion } from '../../../src/crd/metrics.ts';

/** Kafka versions the environment can run; the node agent picks one by image tag. */
export const kafkaVersions = ['3.9.1', '4.1.1'] as const;
export const temporalCliVersion = 'v1.5.1';
export const kubernetesVersion = 'v1.37.2';

export const temporalBin = join(binDir, 'temporal');
export const kubeBin = join(binDir, 'keelson-kube');
export const kubectlBin = join(binDir, 'kubectl');
export const weedBin = join(binDir, 'weed');
export const helmBin = join(binDir, 'helm');
export const promtoolBin = join(binDir, 'promtool');
/** Starts Temporal's time-skipping test server: `temporal-test-server <port>`. */
export const testServerBin = join(binDir, 'temporal-test-server');

function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', (err) => reject(new Error(`${command}: ${err.message} (is it installed?)`)));
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`)),
    );
  });
}

function stampMatches(stampFile: string, want: string, output: string): boolean {
  return existsSync(output) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === want;
}

async function step(what: string, action: () => Promise<void>): Promise<void> {
  const started = Date.now();
  process.stderr.write(`testenv: ${what}...\n`);
  await action();
  process.stderr.write(`testenv: ${what} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

async function ensureTemporal(): Promise<void> {
  const stamp = `${temporalBin}.stamp`;
  if (stampMatches(stamp, temporalCliVersion, temporalBin)) return;
  await step(`building the Temporal CLI ${temporalCliVersion}`, () =>
    run('go', ['install', `github.com/temporalio/cli/cmd/temporal@${temporalCliVersion}`], {
      cwd: cacheDir,
      env: { GOBIN: binDir },
    }),
  );
  writeFileSync(stamp, temporalCliVersion);
}

// Stamped the way Kubernetes' own build does, so `kubectl version` and the
// API server's /version report v1.37.2 instead of v0.0.0-master.
const kubeLdflags = (() => {
  const [major, minor] = kubernetesVersion.slice(1).split('.');
  const vars = { gitVersion: kubernetesVersion, gitMajor: major, gitMinor: minor, gitTreeState: 'clean' };
  const pkgs = ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'];
  return [
    '-s',
    '-w',
    ...pkgs.flatMap((pkg) => Object.entries(vars).map(([k, v]) => `-X ${pkg}.${k}=${v}`)),
  ].join(' ');
})();

function goSourceHash(module: string, ldflags: string): string {
  const dir = join(testenvDir, module);
  const hash = createHash('sha256').update(ldflags);
  for (const file of readdirSync(dir).sort()) {
    if (file === 'go.mod' || file === 'go.sum' || file.endsWith('.go'))
      hash.update(file).update(readFileSync(join(dir, file)));
  }
  return hash.digest('hex');
}

async function ensureKube(): Promise<void> {
  const stamp = `${kubeBin}.stamp`;
  const want = goSourceHash('kube', kubeLdflags);
  if (!stampMatches(stamp, want, kubeBin)) {
    await step(
      `building kube-apiserver, kube-controller-manager, etcd and kubectl ${kubernetesVersion}`,
      () =>
        run('go', ['build', '-trimpath', `-ldflags=${kubeLdflags}`, '-o', kubeBin, '.'], {
          cwd: join(testenvDir, 'kube'),
        }),
    );
    writeFileSync(stamp, want);
  }
  if (!existsSync(kubectlBin)) symlinkSync('keelson-kube', kubectlBin);
}

async function ensureObjectStore(): Promise<void> {
  const stamp = `${weedBin}.stamp`;
  const ldflags = '-s -w';
  const want = goSourceHash('s3', ldflags);
  if (stampMatches(stamp, want, weedBin)) return;
  await step('building the SeaweedFS object store', () =>
    run(
      'go',
      ['build', '-trimpath', `-ldflags=${ldflags}`, '-o', weedBin, 'github.com/seaweedfs/seaweedfs/weed'],
      { cwd: join(testenvDir, 's3') },
    ),
  );
  writeFileSync(stamp, want);
}

/** Helm and promtool, from one module whose Kubernetes libraries are tools/testenv/kube's (compiled once). */
async function ensureChecks(): Promise<void> {
  const ldflags = '-s -w';
  const want = goSourceHash('checks', ldflags);
  for (const [bin, pkg] of [
    [helmBin, 'helm.sh/helm/v3/cmd/helm'],
    [promtoolBin, 'github.com/prometheus/prometheus/cmd/promtool'],
  ] as const) {
    const stamp = `${bin}.stamp`;
    if (stampMatches(stamp, want, bin)) continue;
    await step(`building ${pkg}`, () =>
      run('go', ['build', '-trimpath', `-ldflags=${ldflags}`, '-o', bin, pkg], {
        cwd: join(testenvDir, 'checks'),
      }),
    );
    writeFileSync(stamp, want);
  }
}

/** The runtime jars a pom.xml names, copied from Maven Central (or the local repository) into `libs`. */
function copyJars(pom: string, libs: string, properties: string[] = []): Promise<void> {
  return run(
    'mvn',
    [
      '-B',
      '-q',
      '-f',
      pom,
      'dependency:copy-dependencies',
      ...properties,
      '-DincludeScope=runtime',
      `-DoutputDirectory=${libs}`,
    ],
    {},
  );
}

async function ensureKafka(version: string): Promise<void> {
  const libs = kafkaLibsDir(version);
  const pom = join(testenvDir, 'kafka', 'pom.xml');
  const stamp = join(libs, '.complete');
  const want = createHash('sha256').update(readFileSync(pom)).update(version).digest('hex');
  if (stampMatches(stamp, want, libs)) return;
  rmSync(libs, { recursive: true, force: true });
  await step(`downloading the Apache Kafka ${version} jars`, () =>
    copyJars(pom, libs, [`-Dkafka.version=${version}`]),
  );
  writeFileSync(stamp, want);
}

/** The Prometheus JMX exporter's Java agent, the content of the keelson/jmx-exporter image. */
async function ensureJmxExporter(): Promise<void> {
  const pom = join(testenvDir, 'jmx-exporter', 'pom.xml');
  const dir = jmxExporterDir(jmxExporterVersion);
  const jar = join(dir, 'jmx_prometheus_javaagent.jar');
  const want = createHash('sha256').update(readFileSync(pom)).update(jmxExporterVersion).digest('hex');
  const stamp = join(dir, '.complete');
  if (stampMatches(stamp, want, jar)) return;
  rmSync(dir, { recursive: true, force: true });
  await step(`downloading the Prometheus JMX exporter ${jmxExporterVersion}`, () =>
    copyJars(pom, dir, [`-Djmx-exporter.version=${jmxExporterVersion}`]),
  );
  renameSync(join(dir, `jmx_prometheus_javaagent-${jmxExporterVersion}.jar`), jar);
  writeFileSync(stamp, want);
}

export async function ensureTestServer(): Promise<void> {
  const libs = join(cacheDir, 'temporal-test-server', 'libs');
  const pom = join(testenvDir, 'temporal-test-server', 'pom.xml');
  const stamp = `${testServerBin}.stamp`;
  const want = createHash('sha256').update(readFileSync(pom)).digest('hex');
  if (stampMatches(stamp, want, testServerBin)) return;
  rmSync(libs, { recursive: true, force: true });
  await step("downloading Temporal's time-skipping test server", () => copyJars(pom, libs));
  // The SDK starts it as `<executable> <port>`; the JVM's default stack is too small for its gRPC threads' depth.
  writeFileSync(
    testServerBin,
    `#!/bin/sh\nexec java -Xss4m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp '${libs}/*' io.temporal.testserver.TestServer "$@"\n`,
  );
  chmodSync(testServerBin, 0o755);
  writeFileSync(stamp, want);
}

/** Makes sure every tool is built; cheap when the cache is warm. */
export async function ensureTools(): Promise<void> {
  mkdirSync(binDir, { recursive: true });
  // Go builds share the two cores; Maven is mostly network, so it runs beside them.
  await Promise.all([
    (async () => {
      await ensureTemporal();
      await ensureKube();
      await ensureObjectStore();
      await ensureChecks();
    })(),
    (async () => {
      for (const version of kafkaVersions) await ensureKafka(version);
      await ensureTestServer();
      await ensureJmxExporter();
    })(),
  ]);
}
