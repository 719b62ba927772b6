// `npm run bench -- --quick` on the running environment: it finishes, leaves
// the environment it did not start running, and writes a result file whose
// figures are all measured numbers. (Timings are not asserted here: the
// benchmark measures them.)
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../..', import.meta.url));

describe('npm run bench -- --quick', () => {
  it('measures every figure and writes them as JSON', async () => {
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [join(repo, 'tools/bench/main.ts'), '--quick'],
        { timeout: 900_000 },
        (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
      );
    });
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const file = /written to (.+\.json)/.exec(run.stdout)?.[1];
    assert.ok(file, run.stdout);
    assert.ok(readdirSync(join(repo, 'bench/results')).some((f) => file.endsWith(f)));
    const result = JSON.parse(readFileSync(file, 'utf8')) as {
      mode: string;
      machine: { cpus: number };
      versions: { node: string };
      figures: { name: string; median?: number; p99?: number; value?: number }[];
    };
    assert.equal(result.mode, 'quick');
    assert.ok(result.machine.cpus > 0);
    assert.match(result.versions.node, /^v24\./);
    const names = result.figures.map((f) => f.name);
    for (const expected of [
      /^startup to ready, cold/,
      /^startup to ready, warm/,
      /^change-to-action/,
      /^operator resident memory, idle/,
      /^watcher alone/,
      /^worker memory per additional cluster/,
      /clusters created at once → all observed, one worker/,
      /clusters created at once → all observed, two workers/,
    ]) {
      assert.ok(
        names.some((n) => expected.test(n)),
        `a figure ${expected}`,
      );
    }
    for (const figure of result.figures) {
      const value = figure.median ?? figure.value;
      assert.ok(typeof value === 'number' && Number.isFinite(value), `${figure.name}: ${value}`);
      // Ten clusters may cost a worker less than a megabyte of resident memory: that one may be 0.
      if (!/per additional cluster/.test(figure.name)) assert.ok(value > 0, `${figure.name}: ${value}`);
    }
    assert.match(run.stdout, /\| figure \| median \/ value \| p99 \| compared to \| detail \|/);
  });
});
