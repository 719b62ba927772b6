// The bench's heap snapshot summary: sizes summed by V8's kind of object and
// by kind and name, largest first; strings grouped by their first characters.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { summariseSnapshot } from '../../../tools/bench/heap-snapshots.ts';

describe('summariseSnapshot', () => {
  it('sums own sizes by kind and by kind and name', () => {
    const snapshot = {
      snapshot: {
        meta: {
          node_fields: ['type', 'name', 'id', 'self_size', 'edge_count'],
          node_types: [['hidden', 'array', 'string', 'object', 'code']],
        },
      },
      // type, name, id, self_size, edge_count
      nodes: [
        3, 0, 1, 100, 0, 3, 0, 3, 50, 0, 3, 1, 5, 10, 0, 2, 2, 7, 30, 0, 2, 3, 9, 40, 0, 4, 4, 11, 5, 0,
      ],
      strings: ['ZodString', 'Map', `x${'a'.repeat(60)}`, `x${'a'.repeat(50)}b`, 'lazy'],
    };
    const summary = summariseSnapshot(JSON.stringify(snapshot), 3);
    assert.equal(summary.totalBytes, 235);
    assert.deepEqual(summary.byType, [
      { type: 'object', bytes: 160, count: 3 },
      { type: 'string', bytes: 70, count: 2 },
      { type: 'code', bytes: 5, count: 1 },
    ]);
    assert.deepEqual(summary.top, [
      { type: 'object', name: 'ZodString', bytes: 150, count: 2 },
      { type: 'string', name: `x${'a'.repeat(39)}`, bytes: 70, count: 2 },
      { type: 'object', name: 'Map', bytes: 10, count: 1 },
    ]);
  });
});
