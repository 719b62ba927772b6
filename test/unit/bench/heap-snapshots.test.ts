// The bench's heap snapshot summary: sizes summed by V8's kind of object and
// by kind and name, largest first; strings grouped by their first characters.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { residentBreakdown, summariseSnapshot } from '../../../tools/bench/heap-snapshots.ts';

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

describe('residentBreakdown', () => {
  it('sums resident memory by the file each mapping comes from, the rest as anonymous', () => {
    const smaps = [
      '00400000-00500000 r-xp 00000000 08:01 123 /opt/node/bin/node',
      'Size:               1024 kB',
      'Rss:                 800 kB',
      '00600000-00700000 r--p 00100000 08:01 123 /opt/node/bin/node',
      'Rss:                 200 kB',
      '7f0000000000-7f0000100000 rw-p 00000000 00:00 0 ',
      'Rss:                 300 kB',
      '7f0000200000-7f0000300000 r-xp 00000000 08:01 456 /app/core-bridge/index.node',
      'Rss:                 500 kB',
      '7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0                          [stack]',
      'Rss:                  20 kB',
    ].join('\n');
    assert.deepEqual(residentBreakdown(smaps), {
      total: 1820 * 1024,
      files: [
        { file: '/opt/node/bin/node', bytes: 1000 * 1024 },
        { file: '/app/core-bridge/index.node', bytes: 500 * 1024 },
      ],
      anonymous: 320 * 1024,
    });
  });
});
