// The test environment's process checks: a process that exited but that its
// parent has not collected yet (a zombie) is gone, or `testenv down` run by
// that parent synchronously would wait for it forever.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { isAlive } from '../../../tools/testenv/src/processes.ts';

describe('isAlive', () => {
  it('counts a running process as alive and an exited, uncollected one as gone', async () => {
    const running = spawn('sleep', ['30']);
    try {
      assert.equal(isAlive(running.pid ?? 0), true);
    } finally {
      running.kill('SIGKILL');
    }

    const exited = spawn('true');
    const pid = exited.pid ?? 0;
    // Block the event loop while it exits, so Node cannot collect it: it stays a zombie until we return.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    assert.equal(isAlive(pid), false);
    await new Promise((resolve) => exited.once('exit', resolve));
  });
});
