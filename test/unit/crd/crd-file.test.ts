import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { crdFiles } from '../../../src/cli/crd.ts';

describe('the committed CRDs', () => {
  for (const [file, generated] of crdFiles()) {
    it(`${file} matches what the zod schema generates (run \`npm run gen:crd\` after changing src/crd)`, () => {
      const committed = readFileSync(join(import.meta.dirname, '../../..', file), 'utf8');
      assert.equal(committed, generated);
    });
  }
});
