// Replays recorded histories of every Keelson workflow against the current
// workflow code, without any server: a change that would break workflows
// already running in production (non-determinism) fails here. The histories
// come from the end-to-end cluster workflow test; refresh them with
//   KEELSON_RECORD_HISTORIES=1 node --test test/integration/workflows/cluster-workflow.test.ts
// only when a change is meant to be incompatible (and is guarded by patching).
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

const historiesDir = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));
const workflowsPath = fileURLToPath(new URL('../../src/workflows/index.ts', import.meta.url));

describe('recorded workflow histories', () => {
  const files = readdirSync(historiesDir).filter((f) => f.endsWith('.json'));

  it('cover the cluster, provision, roll and configure workflows', () => {
    assert.deepEqual(files.sort(), ['configure.json', 'kafkacluster.json', 'provision.json', 'roll.json']);
  });

  for (const file of files) {
    it(`replay ${file} without non-determinism`, async () => {
      const history = historyFromJSON(JSON.parse(readFileSync(join(historiesDir, file), 'utf8')));
      await Worker.runReplayHistory({ workflowsPath }, history, file);
    });
  }
});
