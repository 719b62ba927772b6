// Replays recorded histories of every Keelson workflow type against the
// current workflow code, without any server: a change that would break
// workflows already running in production (non-determinism) fails here.
// <type>.json files are recorded by `npm run record-histories` (from the
// end-to-end tests); earlier/ keeps recordings of code before a patched
// change, so the patch is shown to replay what ran before it. Record again
// only when a change is meant to be incompatible (and is guarded by patched()),
// moving the files it replaces to earlier/ under a name of their own.
// secured/ holds runs of a secured cluster (certificates, a renewal roll).
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { workflowBundle } from '../../src/operator/workflow-bundle.ts';
import * as workflows from '../../src/workflows/index.ts';

const historiesDir = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));
let bundle: Awaited<ReturnType<typeof workflowBundle>> | undefined;

describe('recorded workflow histories', () => {
  const files = readdirSync(historiesDir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.json') && f !== 'workflow-ids.json')
    .sort();
  // The workflow id each history ran under (child ids derive from it); earlier recordings need none.
  const ids = JSON.parse(readFileSync(join(historiesDir, 'workflow-ids.json'), 'utf8')) as Record<
    string,
    string
  >;

  it('cover every workflow type the worker runs', () => {
    const recorded = files.filter((f) => !f.includes('/')).map((f) => f.replace(/\.json$/, ''));
    assert.deepEqual(recorded, Object.keys(workflows).sort());
  });

  it('hold no private key (secured/ was recorded from clusters with certificates)', () => {
    // Payloads are stored base64-encoded: each is decoded before it is searched.
    const texts = (value: unknown): string[] =>
      typeof value === 'string'
        ? [value, Buffer.from(value, 'base64').toString('utf8')]
        : value && typeof value === 'object'
          ? Object.values(value).flatMap(texts)
          : [];
    for (const file of files) {
      const all = texts(JSON.parse(readFileSync(join(historiesDir, file), 'utf8'))).join('\n');
      assert.ok(all.includes('json/plain'), `${file}: payloads decoded`);
      // PEM, and the base64 DER start of a PKCS#8 EC P-256 key (the keys Keelson makes).
      for (const marker of ['PRIVATE KEY', 'MIGHAgEAMBMGByqGSM49'])
        assert.ok(!all.includes(marker), `${file} holds ${marker}`);
    }
  });

  for (const file of files) {
    it(`replay ${file} without non-determinism`, async () => {
      const history = historyFromJSON(JSON.parse(readFileSync(join(historiesDir, file), 'utf8')));
      // The bundle the operator runs (its shared modules included), not a plain one.
      bundle ??= await workflowBundle(pino({ level: 'silent' }));
      await Worker.runReplayHistory({ workflowBundle: bundle }, history, ids[file] ?? file);
    });
  }
});
