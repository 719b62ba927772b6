import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { offsetTranslator } from '../../../src/domain/offset-translation.ts';

/** Restored offsets of `committed`, for a partition whose backed-up records had `originals`. */
const translate = (originals: number[], committed: number[]): Record<string, number> => {
  const translator = offsetTranslator(committed.map(BigInt));
  originals.forEach((o, index) => translator.record(BigInt(o), index));
  return Object.fromEntries([...translator.finish(originals.length)].map(([k, v]) => [String(k), v]));
};

describe('offsetTranslator', () => {
  it('keeps offsets of a log without gaps', () => {
    assert.deepEqual(translate([0, 1, 2, 3], [0, 2, 4]), { 0: 0, 2: 2, 4: 4 });
  });

  it('moves an offset in a gap to the next record that survived (compaction, an aborted transaction)', () => {
    // Records at 10, 11, 15 (12-14: aborted records and a marker), 20.
    assert.deepEqual(translate([10, 11, 15, 20], [11, 12, 14, 16, 20]), {
      11: 1,
      12: 2,
      14: 2,
      16: 3,
      20: 3,
    });
  });

  it('maps an offset before the first record to 0, and one past the last record to the end', () => {
    assert.deepEqual(translate([5, 6], [0, 5, 7, 1000]), { 0: 0, 5: 0, 7: 2, 1000: 2 });
  });

  it('maps every offset to 0 for a partition with no records, and answers each offset once', () => {
    assert.deepEqual(translate([], [0, 3, 3]), { 0: 0, 3: 0 });
  });
});
