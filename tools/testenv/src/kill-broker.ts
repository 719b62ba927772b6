// SIGKILLs the Kafka process the node agent runs for a pod, as a crash would
// (the agent then starts it again, like a container runtime): for tests and
// benchmarks of failures. The process is found by its pod directory on the
// command line.
import { readdirSync, readFileSync } from 'node:fs';

export function killBrokerProcess(namespace: string, pod: string): void {
  const marker = `/pods/${namespace}/${pod}-`;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let commandLine: string;
    try {
      commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (commandLine.includes(marker) && commandLine.includes('kafka.Kafka')) {
      process.kill(Number(pid), 'SIGKILL');
      return;
    }
  }
  throw new Error(`no broker process found for ${pod}`);
}
