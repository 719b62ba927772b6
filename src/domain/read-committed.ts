// Which fetched batches a read_committed reader returns, as Kafka's own
// consumer decides it. A fetch response lists the aborted transactions that
// overlap it (producer id and first offset). Walking the batches in offset
// order, a transaction becomes "open and aborted" for its producer once a
// batch reaches its first offset, and stays so until that producer's next
// control batch (its abort marker). Each listed transaction is taken once:
// a later transaction of the same producer, committed, is kept.

export interface FetchedBatch {
  firstOffset: bigint;
  lastOffsetDelta: number;
  attributes: number;
  producerId: bigint;
}

const transactionalBatch = 0x10;
const controlBatch = 0x20;

/** A filter for the batches of one fetch response, fed in offset order. */
export function readCommittedFilter(
  abortedTransactions: readonly { producerId: bigint; firstOffset: bigint }[],
): (batch: FetchedBatch) => boolean {
  const pending = [...abortedTransactions].sort((a, b) =>
    a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0,
  );
  const aborting = new Set<bigint>();
  return (batch) => {
    const lastOffset = batch.firstOffset + BigInt(batch.lastOffsetDelta);
    while (pending.length > 0 && (pending[0]?.firstOffset ?? lastOffset + 1n) <= lastOffset) {
      aborting.add((pending.shift() as { producerId: bigint }).producerId);
    }
    if (batch.attributes & controlBatch) {
      // The marker ends the producer's transaction, committed or aborted; it is never a record.
      aborting.delete(batch.producerId);
      return false;
    }
    return !(batch.attributes & transactionalBatch && aborting.has(batch.producerId));
  };
}
