// Starting and stopping the environment's long-running processes. Each runs
// detached in its own process group (so stopping it also stops anything it
// spawned), logs to .testenv/logs/<name>.log and is tracked by a pid file.
import { spawn, type SpawnOptions } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { logDir, pidDir } from './paths.ts';

export interface DaemonSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

const pidFile = (name: string): string => join(pidDir, `${name}.pid`);
export const logFile = (name: string): string => join(logDir, `${name}.log`);

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/**
 * A process that has exited but whose parent has not collected it still takes
 * signals. The benchmark restarts the API server as its own child and then
 * waits for `down` synchronously, so it cannot collect it: counting such a
 * process as alive made `down` wait forever.
 */
function isZombie(pid: number): boolean {
  try {
    // The state follows the command name, which is in parentheses and may hold spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

export function daemonPid(name: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile(name), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function startDaemon(spec: DaemonSpec): number {
  mkdirSync(logDir, { recursive: true });
  mkdirSync(pidDir, { recursive: true });
  const out = openSync(logFile(spec.name), 'a');
  const options: SpawnOptions = {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    detached: true,
    stdio: ['ignore', out, out],
  };
  const child = spawn(spec.command, spec.args, options);
  closeSync(out);
  if (child.pid === undefined) throw new Error(`could not start ${spec.name} (${spec.command})`);
  child.unref();
  writeFileSync(pidFile(spec.name), `${child.pid}\n`);
  return child.pid;
}

/** Stops a process group: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProcessGroup(pid: number, graceMs: number): Promise<void> {
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-pid, signal);
    } catch {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
  };
  signalGroup('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  // The group may hold children that outlive their leader: always sweep it.
  signalGroup('SIGKILL');
  while (isAlive(pid)) await sleep(50);
}

export async function stopDaemon(name: string, graceMs = 10_000): Promise<boolean> {
  const pid = daemonPid(name);
  if (pid !== undefined) await stopProcessGroup(pid, graceMs);
  rmSync(pidFile(name), { force: true });
  return pid !== undefined;
}

export function daemonNames(): string[] {
  try {
    return readdirSync(pidDir)
      .filter((f) => f.endsWith('.pid'))
      .map((f) => f.slice(0, -'.pid'.length));
  } catch {
    return [];
  }
}

/** Polls `check` until it returns true; fails with the log tail of `name` on timeout. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  options: { timeoutMs: number; daemon?: string },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    if (options.daemon !== undefined && daemonPid(options.daemon) === undefined) {
      throw new Error(`${options.daemon} exited while waiting for ${what}:\n${logTail(options.daemon)}`);
    }
    await sleep(200);
  }
  throw new Error(
    `timed out after ${options.timeoutMs} ms waiting for ${what}` +
      (options.daemon === undefined ? '' : `:\n${logTail(options.daemon)}`),
  );
}

export function logTail(name: string, lines = 30): string {
  try {
    return readFileSync(logFile(name), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
