import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readCommittedFilter, type FetchedBatch } from '../../../src/domain/read-committed.ts';

const data = (firstOffset: number, producerId: number, records = 1): FetchedBatch => ({
  firstOffset: BigInt(firstOffset),
  lastOffsetDelta: records - 1,
  attributes: 0x10,
  producerId: BigInt(producerId),
});
const marker = (offset: number, producerId: number): FetchedBatch => ({
  firstOffset: BigInt(offset),
  lastOffsetDelta: 0,
  attributes: 0x30,
  producerId: BigInt(producerId),
});
const plain = (firstOffset: number): FetchedBatch => ({
  firstOffset: BigInt(firstOffset),
  lastOffsetDelta: 0,
  attributes: 0,
  producerId: -1n,
});
const kept = (batches: FetchedBatch[], aborted: { producerId: number; firstOffset: number }[]) => {
  const keep = readCommittedFilter(
    aborted.map((a) => ({ producerId: BigInt(a.producerId), firstOffset: BigInt(a.firstOffset) })),
  );
  return batches.filter((b) => keep(b)).map((b) => Number(b.firstOffset));
};

describe('readCommittedFilter', () => {
  it('keeps a committed transaction of a producer after its aborted one', () => {
    // Producer 7: aborted at 0-1 (marker 2), committed at 3-4 (marker 5), aborted at 6 (marker 7), committed at 8.
    const batches = [data(0, 7, 2), marker(2, 7), data(3, 7, 2), marker(5, 7), data(6, 7), marker(7, 7)];
    batches.push(data(8, 7), marker(9, 7));
    assert.deepEqual(
      kept(batches, [
        { producerId: 7, firstOffset: 0 },
        { producerId: 7, firstOffset: 6 },
      ]),
      [3, 8],
    );
  });

  it('tells interleaved transactions of two producers apart', () => {
    // 1 aborts (1, 3), 2 commits (2, 4); then 2 aborts (7) while 1 commits (6, 8).
    const batches = [
      plain(0),
      data(1, 1),
      data(2, 2),
      data(3, 1),
      data(4, 2),
      marker(5, 1),
      data(6, 1),
      data(7, 2),
      marker(8, 2),
      data(9, 1),
      marker(10, 1),
    ];
    assert.deepEqual(
      kept(batches, [
        { producerId: 2, firstOffset: 7 },
        { producerId: 1, firstOffset: 1 },
      ]),
      [0, 2, 4, 6, 9],
    );
  });

  it('drops a transaction that was open before the response started', () => {
    // The fetch starts at 10 inside producer 3's aborted transaction (first offset 4).
    assert.deepEqual(
      kept([data(10, 3), marker(11, 3), data(12, 3)], [{ producerId: 3, firstOffset: 4 }]),
      [12],
    );
  });

  it('never returns control batches and keeps non-transactional batches', () => {
    assert.deepEqual(kept([plain(0), marker(1, 4), plain(2)], []), [0, 2]);
  });
});
