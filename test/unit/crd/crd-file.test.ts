import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { crdFile, renderCrd } from '../../../src/cli/crd.ts';

describe('the committed CRD', () => {
  it('matches what the zod schema generates (run `npm run gen:crd` after changing src/crd)', () => {
    const committed = readFileSync(join(import.meta.dirname, '../../..', crdFile), 'utf8');
    assert.equal(committed, renderCrd());
  });
});
