// `npm run demo`: the local environment (started if it is not running),
// Keelson installed with its Helm chart, `keelson operator` started as the
// chart's Deployment describes it (its ServiceAccount, not the admin), and the sample
// 3-node KafkaCluster of deploy/examples. Prints where to look and what to
// try; Ctrl-C (or SIGTERM) stops the operator and, when the demo started it,
// the environment. `--until-ready` stops on its own once the cluster is Ready
// (used by the test of this script).
import { KubeConfig } from '@kubernetes/client-node';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { readTestEnv } from './testenv/src/env.ts';
import { stateDir } from './testenv/src/paths.ts';
import { installChart, operatorLaunch } from './testenv/src/chart.ts';

const repo = join(import.meta.dirname, '..');
const cli = join(import.meta.dirname, 'testenv', 'cli.ts');
const untilReady = process.argv.includes('--until-ready');
const healthAddress = process.env.KEELSON_HEALTH_ADDRESS ?? '127.0.0.1:8080';

const alreadyUp = spawnSync(process.execPath, [cli, 'status'], { stdio: 'ignore' }).status === 0;
if (!alreadyUp && spawnSync(process.execPath, [cli, 'up'], { stdio: 'inherit' }).status !== 0)
  process.exit(1);
const env = readTestEnv();
const kubectl = (...args: string[]): string =>
  execFileSync(env.kubectl, [`--kubeconfig=${env.kubeconfig}`, ...args], { encoding: 'utf8' });

console.log(
  'Installing Keelson with its Helm chart (deploy/helm/keelson) into namespace keelson-system, managing namespace "kafka" ...',
);
const namespacePhase = (): string =>
  spawnSync(
    env.kubectl,
    [`--kubeconfig=${env.kubeconfig}`, 'get', 'namespace', 'kafka', '-o', 'jsonpath={.status.phase}'],
    { encoding: 'utf8' },
  ).stdout;
for (let waited = 0; namespacePhase() === 'Terminating' && waited < 120; waited += 2) {
  if (waited === 0)
    console.log('Waiting for the namespace "kafka" of an earlier run to finish terminating...');
  spawnSync('sleep', ['2']);
}
spawnSync(env.kubectl, [`--kubeconfig=${env.kubeconfig}`, 'create', 'namespace', 'kafka'], {
  stdio: 'ignore',
});
// The Deployment's pods stay Pending here (the local node agent runs only brokers): the operator
// runs below as a process, with the command, environment and ServiceAccount that Deployment gives.
installChart(env.kubeconfig, 'keelson', 'keelson-system', {
  'temporal.address': env.temporal.address,
  managedNamespaces: ['kafka'],
});
const admin = new KubeConfig();
admin.loadFromFile(env.kubeconfig);
const launch = await operatorLaunch(admin, 'keelson-system', 'keelson-operator', env.apiServerUrl);
const demoDir = join(stateDir, 'demo');
mkdirSync(demoDir, { recursive: true });

const operatorLog = join(demoDir, 'operator.log');
const operator = spawn(launch.command, launch.args, {
  cwd: launch.cwd,
  // On this machine the health port is the demo's own (several checkouts may run at once).
  env: { PATH: process.env.PATH, ...launch.env, KEELSON_HEALTH_ADDRESS: healthAddress },
  stdio: ['ignore', 'ignore', openSync(operatorLog, 'a')],
});
console.log(
  `Started keelson operator (pid ${operator.pid}) as ServiceAccount keelson-system/keelson-operator.`,
);
kubectl(
  'apply',
  '-f',
  join(repo, 'deploy/examples/kafka-cluster.yaml'),
  '-f',
  join(repo, 'deploy/examples/kafka-user.yaml'),
  '-f',
  join(repo, 'deploy/examples/kafka-topic.yaml'),
);

const k = `${env.kubectl} --kubeconfig ${env.kubeconfig}`;
const keelson = 'bin/keelson';
console.log(`
Keelson is running.
  Temporal UI      ${env.temporal.uiUrl}  (every cluster's workflow and each operation as a child)
  kubeconfig       ${env.kubeconfig}
  operator log     ${operatorLog}
  health, metrics  http://${healthAddress}/readyz  http://${healthAddress}/metrics

Watch the sample cluster come up (about a minute), secured: TLS everywhere, users and ACLs, a topic:
  ${k} get kafkaclusters,kafkausers,kafkatopics -n kafka -w

Connect as the KafkaUser alice (password and CA in the Secret kafka/alice; inside the cluster):
  ${k} get secret alice -n kafka -o jsonpath='{.data.ca\\.crt}' | base64 -d > ca.crt
  ${k} get secret alice -n kafka -o jsonpath='{.data.sasl\\.jaas\\.config}' | base64 -d   # sasl.jaas.config
  client.properties:  security.protocol=SASL_SSL  sasl.mechanism=SCRAM-SHA-512
                      ssl.truststore.type=PEM  ssl.truststore.location=ca.crt  sasl.jaas.config=<the line above>
  kafka-console-producer.sh --bootstrap-server orders-bootstrap.kafka.svc:9092 --topic orders --producer.config client.properties

Then try:
  ${keelson} status kafka/orders
  ${k} patch kafkacluster orders -n kafka --type merge -p '{"spec":{"kafkaVersion":"4.1.1"}}'     # rolling upgrade
  ${k} patch kafkacluster orders -n kafka --type json -p '[{"op":"add","path":"/spec/nodePools/-","value":{"name":"brokers","roles":["broker"],"replicas":2,"zones":["zone-a","zone-b"],"storage":{"size":"1Gi"}}}]'   # scale out with a broker pool
  ${keelson} drill start kafka/orders --zone zone-a --hold 2m                                       # failover drill
  npm run testenv -- zone down zone-a                                                          # a real zone outage (zone up to end it)
  ${k} events -n kafka --for kafkacluster/orders

Ctrl-C stops the operator${alreadyUp ? ' (the environment was already running and stays up)' : ' and the environment'}.`);

let stopping = false;
async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.log('\nStopping the operator...');
    if (operator.exitCode === null) {
      const exited = new Promise((resolve) => operator.once('exit', resolve));
      operator.kill('SIGTERM');
      await exited;
    }
    if (!alreadyUp) {
      console.log('Stopping the local environment...');
      spawnSync(process.execPath, [cli, 'down'], { stdio: 'inherit' });
    }
  }
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
operator.once('exit', (code) => {
  if (!stopping) {
    console.error(`keelson operator exited (code ${code}); see ${operatorLog}`);
    void stop(1);
  }
});

const readyAt = Date.now() + 600_000;
const poll = setInterval(() => {
  const [generation, observed, ready] = spawnSync(
    env.kubectl,
    [
      `--kubeconfig=${env.kubeconfig}`,
      'get',
      'kafkacluster',
      'orders',
      '-n',
      'kafka',
      '-o',
      'jsonpath={.metadata.generation} {.status.observedGeneration} {.status.conditions[?(@.type=="Ready")].status}',
    ],
    { encoding: 'utf8' },
  ).stdout.split(' ');
  const readyOf = (kind: string, name: string): string =>
    spawnSync(
      env.kubectl,
      [
        `--kubeconfig=${env.kubeconfig}`,
        'get',
        kind,
        name,
        '-n',
        'kafka',
        '-o',
        'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
      ],
      { encoding: 'utf8' },
    ).stdout;
  const userReady = readyOf('kafkauser', 'alice');
  const topicReady = readyOf('kafkatopic', 'orders');
  if (ready === 'True' && generation === observed && userReady === 'True' && topicReady === 'True') {
    clearInterval(poll);
    console.log(
      `\nkafka/orders is Ready (${kubectl('get', 'kafkacluster', 'orders', '-n', 'kafka', '-o', 'jsonpath={.status.bootstrapAddress}')}), and so are its user alice (Secret kafka/alice) and its topic orders.`,
    );
    if (untilReady) void stop(0);
  } else if (Date.now() > readyAt) {
    clearInterval(poll);
    console.error(
      'kafka/orders, its user alice and its topic orders did not become Ready within 10 minutes; see the operator log and the Temporal UI',
    );
    if (untilReady) void stop(1);
  }
}, 2_000);
