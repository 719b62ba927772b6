// `npm run record-histories`: records one history of every Keelson workflow
// type for the replay test (test/workflows/replay.test.ts), by running the
// end-to-end workflow tests on the local environment and keeping, for each
// workflow type, the longest history those tests left in Temporal. Rerun it
// after a change that is meant to be incompatible (and is guarded by
// patched()), keeping the previous recordings under earlier/ so the patch is
// shown to replay them.
//
//   npm run record-histories                 # every end-to-end workflow test
//   npm run record-histories -- test/integration/workflows/scale.test.ts
//   npm run record-histories -- --since 2026-11-30T01:34:00Z test/…/one.test.ts
//       (also keeps runs of an earlier run of the tests on the same environment)
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './testenv/src/paths.ts';
import { readTestEnv } from './testenv/src/env.ts';
import * as workflows from '../src/workflows/index.ts';

const historiesDir = join(repoRoot, 'test', 'fixtures', 'histories');
const defaultTests = [
  'test/integration/workflows/*.test.ts',
  'test/integration/operator/operator-process.test.ts',
];

function run(args: string[]): void {
  const result = spawnSync(process.execPath, args, { cwd: repoRoot, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${result.status}`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const sinceAt = args.indexOf('--since');
  const earlier = sinceAt >= 0 ? args.splice(sinceAt, 2)[1] : undefined;
  if (sinceAt >= 0 && (!earlier || Number.isNaN(Date.parse(earlier))))
    throw new Error('--since takes a time such as 2026-11-30T01:34:00Z');
  const tests = args;
  run([join(repoRoot, 'tools', 'testenv', 'cli.ts'), 'up']);
  const since = earlier ?? new Date().toISOString();
  run(['--test', '--test-concurrency=1', ...(tests.length > 0 ? tests : defaultTests)]);

  const env = readTestEnv();
  const connection = await Connection.connect({ address: env.temporal.address });
  const client = new Client({ connection, namespace: env.temporal.namespace });
  try {
    const longest = new Map<string, { workflowId: string; runId: string; events: number }>();
    for await (const execution of client.workflow.list({ query: `StartTime > "${since}"` })) {
      const events = execution.historyLength;
      const best = longest.get(execution.type);
      // Closed runs only (the cluster workflows the tests terminated count), so each history is whole.
      if (execution.status.name === 'RUNNING') continue;
      if (!best || events > best.events)
        longest.set(execution.type, { workflowId: execution.workflowId, runId: execution.runId, events });
    }
    const missing = Object.keys(workflows).filter((type) => !longest.has(type));
    // A history does not hold its own workflow id, and workflows derive child ids from it.
    const idsFile = join(historiesDir, 'workflow-ids.json');
    const ids = existsSync(idsFile)
      ? (JSON.parse(readFileSync(idsFile, 'utf8')) as Record<string, string>)
      : {};
    for (const [type, { workflowId, runId, events }] of [...longest].sort()) {
      if (!(type in workflows)) continue;
      const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
      writeFileSync(join(historiesDir, `${type}.json`), historyToJSON(history));
      ids[`${type}.json`] = workflowId;
      console.error(`record-histories: ${type}: ${events} events (${workflowId})`);
    }
    writeFileSync(idsFile, `${JSON.stringify(Object.fromEntries(Object.entries(ids).sort()), null, 2)}\n`);
    if (missing.length > 0) console.error(`record-histories: no closed run of ${missing.join(', ')}`);
  } finally {
    await connection.close();
  }
}

await main();
