// Entry point of the test node agent process, started by `testenv up`:
//   node tools/testenv/node-agent/main.ts --kubeconfig FILE --state-dir DIR --zones zone-a,zone-b,zone-c
import { KubeConfig } from '@kubernetes/client-node';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { kafkaVersions } from '../src/build.ts';
import { jmxExporterDir, kafkaLibsDir } from '../src/paths.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NodeAgent } from './agent.ts';

const { values } = parseArgs({
  options: {
    kubeconfig: { type: 'string' },
    'state-dir': { type: 'string' },
    zones: { type: 'string', default: 'zone-a,zone-b,zone-c' },
  },
});
if (!values.kubeconfig || !values['state-dir']) {
  console.error('usage: main.ts --kubeconfig FILE --state-dir DIR [--zones a,b,c]');
  process.exit(2);
}

const log = pino({ base: { component: 'node-agent' } });
const kubeconfig = new KubeConfig();
kubeconfig.loadFromFile(values.kubeconfig);
const agent = new NodeAgent({
  kubeconfig,
  stateDir: values['state-dir'],
  zones: values.zones.split(',').filter(Boolean),
  kafkaVersions,
  kafkaLibsDir,
  // keelson/jmx-exporter:<version> (any registry): the agent's jar, downloaded by build.ts.
  imageVolumes: (reference) => {
    const version = /(?:^|\/)jmx-exporter:([\w.-]+)$/.exec(reference)?.[1];
    const dir = version === undefined ? undefined : jmxExporterDir(version);
    return dir !== undefined && existsSync(join(dir, 'jmx_prometheus_javaagent.jar')) ? dir : undefined;
  },
  log,
});

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping brokers');
    agent.stop().finally(() => process.exit(0));
  });
}

await agent.start();
log.info({ hostsFile: agent.hostsFile }, 'node agent ready');
