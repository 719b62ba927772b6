// The `keelson` command as a user meets it: bin/keelson runs on whatever Node
// is on the PATH, every command answers --help, and wrong invocations get one
// line naming the problem and exit code 2 before anything is contacted.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Command } from 'commander';
import { buildProgram } from '../../../src/cli/program.ts';
import { parseClusterRef } from '../../../src/cli/arguments.ts';

const root = new URL('../../../', import.meta.url).pathname;
const launcher = `${root}bin/keelson`;
const version = (
  JSON.parse(spawnSync('cat', [`${root}package.json`]).stdout.toString()) as { version: string }
).version;

function keelson(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(launcher, args, { env, timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

function commandPaths(command: Command, prefix: string[] = []): string[][] {
  return command.commands.flatMap((sub) => {
    const path = [...prefix, sub.name()];
    return [path, ...commandPaths(sub, path)];
  });
}

// Each case is a process of its own: they run side by side.
describe('the keelson command', { concurrency: true }, () => {
  // Anything a command reaches while its arguments are wrong connects here.
  let trap: Server;
  let connections = 0;
  let trapAddress = '';
  before(async () => {
    trap = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
    trapAddress = `127.0.0.1:${(trap.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => trap.close(() => resolve())));

  it('runs through bin/keelson when the Node.js on the PATH is not the pinned one', async () => {
    // /usr/bin first: the machine's own Node (or none), not node_modules/.bin.
    const { code, stdout, stderr } = await keelson(['--version'], {
      ...process.env,
      PATH: '/usr/local/bin:/usr/bin:/bin',
    });
    assert.equal(code, 0, stderr);
    assert.equal(stdout.trim(), version);
  });

  it('gives every command and subcommand a description and --help', async () => {
    const paths = commandPaths(buildProgram());
    assert.ok(paths.length >= 20, `only ${paths.length} commands`);
    for (const path of paths) {
      let sub: Command | undefined = buildProgram();
      for (const name of path) sub = sub?.commands.find((c) => c.name() === name);
      assert.ok(sub?.description(), `${path.join(' ')} has no description`);
    }
    // And through the real process, for a sample across the tree.
    for (const path of [['status'], ['drill', 'start'], ['backup', 'list'], ['operator'], ['completion']]) {
      const { code, stdout } = await keelson([...path, '--help']);
      assert.equal(code, 0);
      assert.match(stdout, new RegExp(`^Usage: keelson ${path.join(' ')} `));
    }
  });

  const wrong: [string, string[], RegExp][] = [
    ['an unknown command', ['nope'], /unknown command 'nope'/],
    ['an unknown flag', ['status', 'kafka/orders', '--bogus'], /unknown option '--bogus'/],
    ['a missing argument', ['status'], /missing required argument 'ns\/name'/],
    ['a missing required flag', ['drill', 'start', 'kafka/orders'], /required option '--zone <zone>'/],
    ['a flag without its value', ['roll', 'kafka/orders', '--reason'], /'--reason <text>' argument missing/],
    ['a reference without a namespace', ['pause', 'orders'], /expected <namespace>\/<name>/],
    ['a reference with two slashes', ['resume', 'a/b/c'], /expected <namespace>\/<name>/],
    ['a name no KafkaCluster can have', ['status', 'kafka/Orders'], /DNS-1035 label/],
    ['a name of 64 characters', ['roll', `kafka/${'a'.repeat(64)}`], /at most 63 characters/],
    ['a bad output format', ['status', 'kafka/orders', '-o', 'xml'], /Allowed choices are text, json, yaml/],
    ['a bad duration', ['drill', 'start', 'kafka/orders', '--zone', 'a', '--hold', '5x'], /not a duration/],
    ['a reason of two lines', ['roll', 'kafka/orders', '--reason', 'a\nb'], /one line of at most 256/],
    ['a bad zone', ['drill', 'start', 'kafka/orders', '--zone', '../a'], /expected a zone/],
    ['a bad restore source', ['restore', 'orders-20261126-030000', '--to', 'k/o', '--from', 'x'], /--from/],
    ['an unknown shell', ['completion', 'fish'], /expected bash or zsh/],
    [
      'a picture in a directory that does not exist',
      ['drill', 'status', 'kafka/orders', '--svg', '/no/such/dir/d.svg'],
      /no directory \/no\/such\/dir/,
    ],
  ];
  for (const [what, args, message] of wrong) {
    it(`refuses ${what} with one line and exit code 2, contacting nothing`, async () => {
      const before = connections;
      const { code, stdout, stderr } = await keelson(args, {
        ...process.env,
        KEELSON_TEMPORAL_ADDRESS: trapAddress,
      });
      assert.equal(code, 2, stderr);
      assert.equal(stdout, '');
      assert.match(stderr, message);
      assert.match(stderr, /^keelson: [^\n]+ \(see --help\)\n$/);
      assert.equal(connections, before, 'nothing may be contacted');
    });
  }

  it('fails in one line with exit code 1 when the work fails', async () => {
    // Nothing listens on port 1: the connection is refused.
    const { code, stderr } = await keelson(['pause', 'kafka/orders', '--temporal-address=127.0.0.1:1']);
    assert.equal(code, 1);
    assert.match(stderr, /^keelson pause: [^\n]+\n$/);
    assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
  });

  it('completes commands, subcommands, flags and their values in bash', async () => {
    const { stdout: script } = await keelson(['completion', 'bash']);
    const complete = (line: string): string => {
      const result = spawnSync(
        'bash',
        [
          '-c',
          `${script}\nread -ra COMP_WORDS <<< "$LINE"; [[ "$LINE" == *" " ]] && COMP_WORDS+=(""); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _keelson; echo "\${COMPREPLY[*]}"`,
        ],
        { env: { ...process.env, LINE: line } },
      );
      return result.stdout.toString().trim();
    };
    assert.equal(complete('keelson dr'), 'drill');
    assert.equal(complete('keelson drill st'), 'start status');
    assert.equal(complete('keelson status kafka/orders -o '), 'text json yaml');
    assert.match(complete('keelson drill start kafka/orders --'), /--zone --hold/);
  });
});

describe('parseClusterRef', () => {
  it('takes namespace/name and refuses what no KafkaCluster can be', () => {
    assert.deepEqual(parseClusterRef('kafka/orders'), { namespace: 'kafka', name: 'orders' });
    for (const bad of [
      '',
      'orders',
      '/orders',
      'kafka/',
      'Kafka/orders',
      'kafka/orders/x',
      'kafka/1abc',
      '../x',
    ])
      assert.throws(() => parseClusterRef(bad), Error, bad);
  });
});
