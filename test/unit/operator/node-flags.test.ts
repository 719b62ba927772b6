// The image runs the operator with the same Node.js flags as the demo, the
// benchmark and the tests do (src/operator/node-flags.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { nodeFlags, processEnvironment } from '../../../src/operator/node-flags.ts';

const dockerfile = fileURLToPath(new URL('../../../deploy/Dockerfile', import.meta.url));

describe('node flags', () => {
  it("are the image's ENTRYPOINT flags, before the program", () => {
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(readFileSync(dockerfile, 'utf8'))?.[1];
    assert.ok(entrypoint, 'the Dockerfile has an exec-form ENTRYPOINT');
    assert.deepEqual(JSON.parse(entrypoint), ['node', ...nodeFlags, 'src/main.ts']);
  });
  it("are the Helm chart's Deployment command (which names the program itself)", () => {
    const template = readFileSync(
      fileURLToPath(new URL('../../../deploy/helm/keelson/templates/deployment.yaml', import.meta.url)),
      'utf8',
    );
    const command = /^\s*command: (\[.*\])$/m.exec(template)?.[1];
    assert.ok(command, 'the Deployment names its command');
    assert.deepEqual(command.slice(1, -1).split(', '), ['node', ...nodeFlags, 'src/main.ts']);
  });
  it('and their environment is set by the image, the chart and bin/keelson', () => {
    const read = (path: string) =>
      readFileSync(fileURLToPath(new URL(`../../../${path}`, import.meta.url)), 'utf8');
    const image = read('deploy/Dockerfile');
    const chart = read('deploy/helm/keelson/templates/deployment.yaml');
    const launcher = read('bin/keelson');
    for (const [name, value] of Object.entries(processEnvironment)) {
      assert.match(image, new RegExp(`^ENV ${name}=${value}$`, 'm'), `the Dockerfile sets ${name}`);
      assert.match(chart, new RegExp(`- name: ${name}\\n\\s+value: "${value}"`), `the chart sets ${name}`);
      assert.match(
        launcher,
        new RegExp(`^${name}=\\$\\{${name}:-${value}\\}$`, 'm'),
        `bin/keelson sets ${name}`,
      );
      assert.match(launcher, new RegExp(`^export ${name}$`, 'm'));
    }
  });
});
