// A class-data sharing archive per Kafka version: the broker JVM maps the
// classes it loaded at its first run instead of loading them again, which
// takes a Kafka 4.1 broker from about 1.8 s to 1.0 s to start (measured on
// this machine). The tests restart brokers hundreds of times (every roll), so
// this is minutes of the suite. The first broker of a version to start while
// no archive exists writes one when it exits (-XX:ArchiveClassesAtExit); the
// others start without one meanwhile. An archive the JVM cannot use (another
// JDK) is ignored by the JVM, and it lives in the agent's state directory, so
// each environment makes its own.
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/** A lock older than this belongs to a broker that died before writing: another may try. */
const staleLockMs = 10 * 60_000;

export interface ClassDataSharing {
  /** JVM options for this start. */
  javaOptions: string[];
  /** Call once the JVM has exited: keeps the archive it wrote, if any. */
  exited: () => void;
}

export function classDataSharing(archive: string): ClassDataSharing {
  if (existsSync(archive)) return { javaOptions: [`-XX:SharedArchiveFile=${archive}`], exited: () => {} };
  mkdirSync(dirname(archive), { recursive: true });
  const lock = `${archive}.lock`;
  if (!claim(lock)) return { javaOptions: [], exited: () => {} };
  const written = `${archive}.${process.pid}.${Date.now()}.tmp`;
  return {
    javaOptions: [`-XX:ArchiveClassesAtExit=${written}`],
    exited: () => {
      // A broker killed with SIGKILL writes nothing; the next start tries again.
      if (existsSync(written) && !existsSync(archive)) renameSync(written, archive);
      rmSync(written, { force: true });
      rmSync(lock, { force: true });
    },
  };
}

function claim(lock: string): boolean {
  try {
    closeSync(openSync(lock, 'wx'));
    return true;
  } catch {
    try {
      if (Date.now() - statSync(lock).mtimeMs < staleLockMs) return false;
      rmSync(lock, { force: true });
      closeSync(openSync(lock, 'wx'));
      return true;
    } catch {
      return false;
    }
  }
}
