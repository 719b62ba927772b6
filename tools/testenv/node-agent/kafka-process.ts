// One running container: a Kafka JVM started from the cached jars of the
// pod's version, with its own log file. Start-up formats the log directories
// when CLUSTER_ID is set and they are not formatted yet (restarts keep their data).
// `started` flips when the broker logs that it finished starting.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { classDataSharing } from './class-data-sharing.ts';

export interface KafkaLaunch {
  version: string;
  libsDir: string;
  workDir: string;
  properties: string;
  clusterId: string | undefined;
  /** Every directory the broker keeps logs or metadata in. */
  logDirs: string[];
  heapOpts: string | undefined;
  extraJavaOpts: string | undefined;
  hostsFile: string;
  logFile: string;
  /** Where the version's class-data sharing archive is, or is written (see class-data-sharing.ts). */
  cdsArchive: string;
}

const startedMarker = 'Kafka Server started';

export class KafkaProcess {
  started = false;
  exited = false;
  exitCode: number | null = null;
  startedAt = new Date();
  private child: ChildProcess | undefined;
  private log: WriteStream;
  private readonly exitWaiters: (() => void)[] = [];

  private readonly launch: KafkaLaunch;

  constructor(launch: KafkaLaunch) {
    this.launch = launch;
    mkdirSync(launch.workDir, { recursive: true });
    this.log = createWriteStream(launch.logFile, { flags: 'a' });
  }

  private javaArgs(mainClass: string, args: string[], jvmOptions: string[] = []): string[] {
    const tmp = join(this.launch.workDir, 'tmp');
    mkdirSync(tmp, { recursive: true });
    return [
      ...(this.launch.heapOpts ?? '-Xmx512m -Xms128m').split(/\s+/).filter(Boolean),
      // Fast start-up over peak throughput: these brokers live for one test.
      '-XX:TieredStopAtLevel=1',
      '-XX:+UseSerialGC',
      ...jvmOptions,
      ...(this.launch.extraJavaOpts ?? '').split(/\s+/).filter(Boolean),
      `-Djdk.net.hosts.file=${this.launch.hostsFile}`,
      `-Djava.io.tmpdir=${tmp}`,
      '-Dorg.slf4j.simpleLogger.showDateTime=true',
      '-cp',
      `${this.launch.libsDir}/*`,
      mainClass,
      ...args,
    ];
  }

  /** Formats storage if needed, then starts the broker. Resolves once the JVM runs. */
  async start(): Promise<void> {
    const config = join(this.launch.workDir, 'server.properties');
    writeFileSync(config, this.launch.properties);
    // The image formats at every start with --ignore-formatted, a no-op once every directory
    // holds its meta.properties: the agent skips that JVM then (it costs a second per restart).
    const formatted =
      this.launch.logDirs.length > 0 &&
      this.launch.logDirs.every((dir) => existsSync(join(dir, 'meta.properties')));
    if (this.launch.clusterId !== undefined && !formatted) {
      const code = await this.runToEnd(
        this.javaArgs('kafka.tools.StorageTool', [
          'format',
          '-t',
          this.launch.clusterId,
          '-c',
          config,
          '--ignore-formatted',
        ]),
      );
      if (code !== 0) {
        this.exited = true;
        this.exitCode = code;
        throw new Error(
          `formatting the log directories failed with exit code ${code} (see ${this.launch.logFile})`,
        );
      }
    }
    this.startedAt = new Date();
    // The JVM refuses to write a class-data archive with a Java agent loaded (the JMX exporter's),
    // and one written without the agent would not hold its classes: such brokers start without one.
    const sharing = /(^|\s)-javaagent:/.test(this.launch.extraJavaOpts ?? '')
      ? { javaOptions: [], exited: () => {} }
      : classDataSharing(this.launch.cdsArchive);
    const child = spawn('java', this.javaArgs('kafka.Kafka', [config], sharing.javaOptions), {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let recent = ''; // the marker may straddle two chunks
    const watchOutput = (chunk: Buffer): void => {
      this.log.write(chunk);
      if (this.started) return;
      recent = recent.slice(-startedMarker.length) + chunk.toString('utf8');
      if (recent.includes(startedMarker)) this.started = true;
    };
    child.stdout?.on('data', watchOutput);
    child.stderr?.on('data', watchOutput);
    child.on('exit', (code, signal) => {
      sharing.exited();
      this.exited = true;
      this.started = false;
      this.exitCode = code ?? (signal === 'SIGKILL' ? 137 : 143);
      this.log.write(`--- testenv: process exited (code ${code}, signal ${signal})\n`);
      for (const wake of this.exitWaiters.splice(0)) wake();
    });
  }

  private runToEnd(args: string[]): Promise<number> {
    return new Promise((resolve) => {
      const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (chunk: Buffer) => this.log.write(chunk));
      child.stderr.on('data', (chunk: Buffer) => this.log.write(chunk));
      child.on('exit', (code) => resolve(code ?? 1));
      child.on('error', () => resolve(127));
    });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** SIGTERM, then SIGKILL when the grace period runs out, as the kubelet does. */
  async stop(graceSeconds: number): Promise<void> {
    const child = this.child;
    if (child === undefined || this.exited) return;
    const exited = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceSeconds * 1000);
    await exited;
    clearTimeout(timer);
    this.log.end();
  }

  /** SIGKILL at once, as when the machine loses power; resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined || this.exited) return;
    const exited = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
    child.kill('SIGKILL');
    await exited;
  }

  onExit(callback: () => void): void {
    if (this.exited) callback();
    else this.exitWaiters.push(callback);
  }
}
