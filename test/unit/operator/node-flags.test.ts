// The image runs the operator with the same Node.js flags as the demo, the
// benchmark and the tests do (src/operator/node-flags.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { nodeFlags } from '../../../src/operator/node-flags.ts';

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
});
